import { describe, expect, it } from '@jest/globals';
import { ErrorCode, EventType, type Command, type RetryPolicyWire } from '#workflows/protocol';
import type { Store, TransitionOutcome, WorkerSession } from '../store.interface.js';
import { RETRY, T0, callerOf, claimActivityTasks, claimOf, claimWorkflowTask, expectCode, schedule, session, start } from './conformance.fixtures.js';

const E = EventType;

/** The lease-expiry part of the conformance suite: a session that stops heartbeating loses its tasks. */
export function describeLeaseExpiryConformance(
  current: () => Store,
  s: WorkerSession,
  startAndComplete: (commands: Command[]) => Promise<TransitionOutcome>,
): void {
  describe('expired sessions', () => {
    it('give their workflow task back at once, as a failed attempt, and their tokens go stale', async () => {
      const store = current();
      await start(store, 'a', 'e1');
      const task = await claimWorkflowTask(store, s, T0 + 1);
      expect(await store.expireLeases(s.expiresAt - 1)).toEqual([]);
      expect(await store.expireLeases(s.expiresAt)).toEqual([
        { namespace: 'a', tasks: [{ kind: 'workflow', name: 'wf', deploymentName: null, visibleAt: s.expiresAt }] },
      ]);
      const history = (await store.readHistory('a', 'e1', 0, 10))!;
      expect(history.map((e) => e.event_type)).toEqual([E.WorkflowExecutionStarted, E.WorkflowTaskFailed]);
      expect(history[1]!.attributes).toMatchObject({ attempt: 1, worker_name: s.workerName, failure: { type: 'WorkerSessionExpired' } });
      await expectCode(store.completeWorkflowTask({ ...callerOf(s, task, s.expiresAt + 1), commands: [] }), ErrorCode.TaskTokenStale);
      const other = session('a', { workerId: 'w2', openedAt: s.expiresAt, expiresAt: s.expiresAt + 10_000 });
      await store.openWorkerSession(other);
      expect((await store.claimTasks(claimOf(other, s.expiresAt + 1)))[0]).toMatchObject({ execution_id: 'e1', attempt: 2 });
      expect(await store.expireLeases(s.expiresAt + 2)).toEqual([]);
    });

    it('fail their activity attempts by the retry policy', async () => {
      const store = current();
      const once: RetryPolicyWire = { ...RETRY, maximum_attempts: 1 };
      await startAndComplete([schedule(1), schedule(2, 'act', once)]);
      await claimActivityTasks(store, s, T0 + 3);
      const [expired] = await store.expireLeases(s.expiresAt);
      expect(expired!.tasks).toEqual([
        { kind: 'activity', name: 'act', deploymentName: null, visibleAt: s.expiresAt + 1000 },
        { kind: 'workflow', name: 'wf', deploymentName: null, visibleAt: s.expiresAt },
      ]);
      const types = (await store.readHistory('a', 'e1', 6, 10))!.map((e) => e.event_type);
      expect(types).toEqual([E.ActivityTaskRetrying, E.ActivityTaskFailed]);
    });

    it('leave the leases of a live session alone', async () => {
      const store = current();
      await start(store, 'a', 'e1');
      await claimWorkflowTask(store, s, T0 + 1);
      await store.touchWorkerSession('a', s.workerId, T0 + 2, T0 + 50_000);
      expect(await store.expireLeases(s.expiresAt)).toEqual([]);
      expect(await store.claimTasks(claimOf(s, s.expiresAt))).toEqual([]);
    });
  });
}
