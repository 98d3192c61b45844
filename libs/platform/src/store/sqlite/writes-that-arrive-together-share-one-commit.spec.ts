import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '#workflows/protocol';
import { PlatformError } from '../../errors/platform.error.js';
import { T0, callerOf, claimOf, complete, session, start } from '../conformance/conformance.fixtures.js';
import { GroupCommit, type QueuedWrite } from './group-commit.js';
import { SqliteStore } from './sqlite.store.js';

describe('group commit', () => {
  it('commits the writes of one event-loop turn together, and a later turn in a commit of its own', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit((writes: readonly QueuedWrite[]) => {
      batches.push(writes.map((write) => write.work() as number));
      for (const write of writes) write.resolve(undefined);
    });
    const first = [1, 2, 3].map((n) => group.run(() => n));
    // Nothing is committed (or answered) before the turn ends.
    expect(batches).toEqual([]);
    await Promise.all(first);
    await Promise.all([group.run(() => 4), group.run(() => 5)]);
    expect(batches).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('carries at most 512 writes in one commit, and flushes what is queued on demand', async () => {
    const sizes: number[] = [];
    const group = new GroupCommit((writes) => {
      sizes.push(writes.length);
      for (const write of writes) write.resolve(undefined);
    });
    const all = Array.from({ length: 1100 }, () => group.run(() => null));
    group.flush();
    expect(sizes).toEqual([512, 512, 76]);
    await Promise.all(all);
  });

  it('rolls back only the write that failed, answers each after the commit, and publishes only what committed', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.init();
    const changed: string[] = [];
    store.subscribe({ transition: () => undefined, changed: (_, ids) => changed.push(...ids), resync: () => undefined });
    const s = session('a');
    await store.openWorkerSession(s);
    await start(store, 'a', 'e1');
    const [task] = await store.claimTasks(claimOf(s, T0 + 1));
    changed.length = 0;

    // One turn: a good start, a completion with a token that was never leased (refused), another good start.
    const results = await Promise.allSettled([
      start(store, 'a', 'e2', T0 + 2),
      store.completeWorkflowTask({ ...callerOf(s, `w${9999}.1`, T0 + 2), commands: [complete()] }),
      store.completeWorkflowTask({ ...callerOf(s, task!, T0 + 2), commands: [complete('ok')] }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as PlatformError).code).toBe(ErrorCode.TaskNotFound);
    expect(changed.sort()).toEqual(['e1', 'e2']);
    expect((await store.getExecution('a', 'e1'))?.result).toBe('ok');
    expect(await store.getExecution('a', 'e2')).not.toBeNull();
    await store.close();
  });
});
