import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '#workflows/protocol';
import type { PlatformError } from '../../errors/platform.error.js';
import { start } from '../conformance/conformance.fixtures.js';
import { SqliteStore } from './sqlite.store.js';
import type { FlushFile } from './wal-sync.js';

/** A flush of the WAL that completes only when the test says so. */
function heldFlushes(): { flush: FlushFile; pending: ((error: Error | null) => void)[] } {
  const pending: ((error: Error | null) => void)[] = [];
  return { flush: (_fd, done) => pending.push(done), pending };
}

/** Whether `promise` has settled by the time the event loop has run everything queued now. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

/**
 * `synchronous=FULL` with the fsync off the event loop (issue 11): SQLite commits without
 * syncing, the WAL is flushed on the thread pool, and a write is answered (and published) only
 * once that flush is done; groups committed during a flush share the next one.
 */
describe('a SQLite file store', () => {
  it('answers and publishes writes only once their commit is flushed to disk, off the event loop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-wal-'));
    const { flush, pending } = heldFlushes();
    const flushedNow: number[] = [];
    const store = new SqliteStore({ path: join(dir, 'p.db'), flushFile: flush, flushFileNow: (fd) => flushedNow.push(fd) });
    try {
      await store.init();
      expect(store.description).toContain('synchronous=FULL, fsync off the event loop');
      const changed: string[] = [];
      store.subscribe({ transition: () => undefined, changed: (_, ids) => changed.push(...ids), resync: () => undefined });

      // Two writes of one turn: one group, one flush on the thread pool.
      const first = Promise.all([start(store, 'a', 'e1'), start(store, 'a', 'e2')]);
      expect(await settled(first)).toBe(false);
      expect(pending).toHaveLength(1);
      expect(changed).toEqual([]);

      // A lone write committed while that flush runs waits for a flush of its own, which starts when the first ends.
      const second = start(store, 'a', 'e3');
      expect(await settled(second)).toBe(false);
      expect(pending).toHaveLength(1);

      pending.shift()!(null);
      await first;
      expect(changed.sort()).toEqual(['e1', 'e2']);
      expect(await settled(second)).toBe(false);
      expect(pending).toHaveLength(1);
      pending.shift()!(null);
      await second;
      expect(changed).toContain('e3');
      expect(flushedNow).toEqual([]);
    } finally {
      for (const done of pending.splice(0)) done(null);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flushes a lone write at once when no flush is under way, before answering it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-wal-'));
    const { flush, pending } = heldFlushes();
    let flushedNow = 0;
    const store = new SqliteStore({ path: join(dir, 'p.db'), flushFile: flush, flushFileNow: () => void flushedNow++ });
    try {
      await store.init();
      await start(store, 'a', 'e1');
      expect(flushedNow).toBe(1);
      expect(pending).toEqual([]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses the writes of a commit whose flush failed, and every write after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-wal-'));
    let failNext = true;
    const store = new SqliteStore({
      path: join(dir, 'p.db'),
      flushFile: (_fd, done) => done(null),
      flushFileNow: () => {
        if (!failNext) return;
        failNext = false;
        throw new Error('EIO: i/o error');
      },
    });
    try {
      await store.init();
      const changed: string[] = [];
      store.subscribe({ transition: () => undefined, changed: (_, ids) => changed.push(...ids), resync: () => undefined });
      // The flush fails once; the disk then answers again, but nothing written since can be called durable.
      const turns = [() => [start(store, 'a', 'lone')], () => [start(store, 'a', 'g1'), start(store, 'a', 'g2')], () => [start(store, 'a', 'later')]];
      for (const turn of turns) {
        for (const result of await Promise.allSettled(turn())) {
          const error = (result as PromiseRejectedResult).reason as PlatformError;
          expect(error.code).toBe(ErrorCode.Unavailable);
          expect(error.detail).toContain('takes no more writes');
          expect((error.cause as Error).message).toContain('EIO');
        }
      }
      expect(changed).toEqual([]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
