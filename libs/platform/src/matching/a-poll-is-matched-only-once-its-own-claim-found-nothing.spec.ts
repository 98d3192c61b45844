import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { T0, session, start } from '../store/conformance/conformance.fixtures.js';
import { SqliteStore } from '../store/sqlite/sqlite.store.js';
import { TaskMatcher, type PollParams } from './task.matcher.js';

describe('sync match of a waiting poll', () => {
  let store: SqliteStore;
  let matcher: TaskMatcher;
  const s = session('a', { expiresAt: Number.MAX_SAFE_INTEGER });
  const params = (): PollParams => ({ session: s, maxWorkflowTasks: 1, maxActivityTasks: 0, waitMs: 60_000, leaseMs: 10_000, workflowTaskTimeoutMs: 10_000 });
  const task = { kind: 'workflow' as const, name: 'wf', deploymentName: null };

  beforeEach(async () => {
    store = new SqliteStore({ path: ':memory:' });
    await store.init();
    await store.openWorkerSession(s);
    matcher = new TaskMatcher(store, { now: () => T0 + 1 });
  });
  afterEach(async () => {
    matcher.close();
    await store.close();
  });

  it('is not matched while its own claim is under way (it could be leased more than it asked for), and is once that claim found nothing', async () => {
    await start(store, 'a', 'queued');
    const polled = matcher.poll(params());
    // The poll waits for its claim's commit: a transition must not lease it a task on top of what that claim takes.
    expect(matcher.waitingCount('a')).toBe(1);
    expect(matcher.matchWaiting('a', task)).toBeNull();
    expect((await polled).map((t) => t.execution_id)).toEqual(['queued']);

    const waiting = matcher.poll(params());
    let match = matcher.matchWaiting('a', task);
    while (match === null) {
      await new Promise((resolve) => setImmediate(resolve));
      match = matcher.matchWaiting('a', task);
    }
    expect(match.claim).toMatchObject({ workerId: s.workerId, maxWorkflowTasks: 1, maxActivityTasks: 0 });
    // Matched once: a second transition finds no poll to match.
    expect(matcher.matchWaiting('a', task)).toBeNull();
    // Delivered nothing (the start failed, say): the poll claims again and waits on, until the platform stops.
    match.deliver([]);
    matcher.close();
    expect(await waiting).toEqual([]);
  });
});
