import { describe, expect, it } from '@jest/globals';
import { ErrorCode, EventType, parseTaskToken, type Command, type RetryPolicyWire } from '#workflows/protocol';
import type { Store, TransitionOutcome, WorkerSession } from '../store.interface.js';
import {
  RETRY,
  T0,
  callerOf,
  cancelActivity,
  claimActivityTasks,
  claimOf,
  claimWorkflowTask,
  eventTypes,
  expectCode,
  runWorkflowTask,
  schedule,
  session,
  signal,
  start,
} from './conformance.fixtures.js';

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

    it('take back the leases of a session that was purged, as expired', async () => {
      const store = current();
      await start(store, 'a', 'e1');
      await claimWorkflowTask(store, s, T0 + 1);
      // Opening a session purges the ones expired for more than a day: s's row goes, its lease stays.
      const later = s.expiresAt + 25 * 60 * 60 * 1000;
      const other = session('a', { workerId: 'w2', openedAt: later, expiresAt: later + 10_000 });
      await store.openWorkerSession(other);
      expect(await store.getWorkerSession('a', s.workerId)).toBeNull();
      expect(await store.expireLeases(later)).toEqual([{ namespace: 'a', tasks: [{ kind: 'workflow', name: 'wf', deploymentName: null, visibleAt: later }] }]);
      const history = (await store.readHistory('a', 'e1', 0, 10))!;
      expect(history[1]!.attributes).toMatchObject({ worker_name: s.workerName, failure: { type: 'WorkerSessionExpired' } });
      expect(await store.claimTasks(claimOf(other, later + 1))).toMatchObject([{ execution_id: 'e1', attempt: 2 }]);
    });
  });

  describe('sessions at platform start', () => {
    it('refreshes open sessions (live, or expired holding a lease) and no other', async () => {
      const store = current();
      await start(store, 'a', 'e1');
      await claimWorkflowTask(store, s, T0 + 1);
      const idle = session('a', { workerId: 'idle', expiresAt: T0 + 5000 });
      const live = session('a', { workerId: 'live', expiresAt: T0 + 30_000 });
      const long = session('a', { workerId: 'long', expiresAt: T0 + 90_000 });
      for (const other of [idle, live, long]) await store.openWorkerSession(other);
      const restart = T0 + 20_000;
      expect(await store.refreshWorkerSessions(restart, restart + 10_000 + 50_000)).toBe(2);
      expect((await store.getWorkerSession('a', s.workerId))?.expiresAt).toBe(restart + 60_000);
      expect((await store.getWorkerSession('a', 'live'))?.expiresAt).toBe(restart + 60_000);
      expect((await store.getWorkerSession('a', 'long'))?.expiresAt).toBe(T0 + 90_000);
      expect((await store.getWorkerSession('a', 'idle'))?.expiresAt).toBe(T0 + 5000);
      expect(await store.expireLeases(restart + 1)).toEqual([]);
      expect(await store.touchWorkerSession('a', s.workerId, restart + 1, restart + 70_000)).toBe(true);
    });
  });

  describe('worker shutdown', () => {
    it('closes the session and offers every task it holds again at once, the activity without backoff', async () => {
      const store = current();
      await startAndComplete([schedule(1)]);
      await store.startExecution({ namespace: 'a', executionId: 'e2', runId: 'run-a-e2', workflowName: 'wf', deploymentName: null, input: null, now: T0 + 2 });
      const held = await store.claimTasks(claimOf(s, T0 + 3));
      expect(held.map((t) => t.kind).sort()).toEqual(['activity', 'workflow']);
      expect(await store.shutdownWorkerSession('b', s.workerId, T0 + 4)).toBeNull();
      expect(await store.shutdownWorkerSession('a', 'nobody', T0 + 4)).toBeNull();
      const outcome = await store.shutdownWorkerSession('a', s.workerId, T0 + 4);
      expect(outcome?.released).toBe(2);
      expect(outcome?.tasks.map((t) => [t.kind, t.visibleAt]).sort()).toEqual([
        ['activity', T0 + 4],
        ['workflow', T0 + 4],
      ]);
      expect((await store.readHistory('a', 'e1', 0, 100))!.pop()).toMatchObject({
        event_type: E.ActivityTaskRetrying,
        attributes: { attempt: 1, next_attempt_delay_ms: 0, failure: { type: 'WorkerShutdown' } },
      });
      expect((await store.readHistory('a', 'e2', 0, 100))!.pop()).toMatchObject({ event_type: E.WorkflowTaskFailed, attributes: { failure: { type: 'WorkerShutdown' } } });
      expect((await store.getWorkerSession('a', s.workerId))?.expiresAt).toBe(T0 + 4);
      expect(await store.claimTasks(claimOf(s, T0 + 5))).toEqual([]);
      for (const task of held) {
        await expectCode(store.failActivityTask({ ...callerOf(s, task, T0 + 5), failure: { type: 'E', message: 'm' } }), task.kind === 'activity' ? ErrorCode.TaskTokenStale : ErrorCode.TaskNotFound);
      }
      const other = session('a', { workerId: 'w2', expiresAt: T0 + 10_000 });
      await store.openWorkerSession(other);
      expect((await store.claimTasks(claimOf(other, T0 + 5))).map((t) => t.attempt)).toEqual([2, 2]);
      expect(await store.shutdownWorkerSession('a', s.workerId, T0 + 6)).toEqual({ released: 0, tasks: [] });
      expect(await store.refreshWorkerSessions(T0 + 7, T0 + 20_000)).toBe(1);
      expect((await store.getWorkerSession('a', s.workerId))?.expiresAt).toBe(T0 + 4);
    });
  });

  describe('worker shutdown naming the attempts it started', () => {
    const once: RetryPolicyWire = { ...RETRY, maximum_attempts: 1 };
    const other = () => session('a', { workerId: 'w2', workerName: 'host-w2', expiresAt: T0 + 10_000 });

    it('fails only the started attempts: the unstarted go back undelivered, with no failure, to any worker', async () => {
      const store = current();
      await startAndComplete([schedule(1, 'act', once), schedule(2, 'act', once)]);
      for (const id of ['e2', 'e3']) await start(store, 'a', id, T0 + 2);
      const held = await store.claimTasks(claimOf(s, T0 + 3));
      const ran = held.filter((t) => (t.kind === 'activity' && t.activity_id === 1) || (t.kind === 'workflow' && t.execution_id === 'e2'));
      expect(held).toHaveLength(4);
      expect(ran).toHaveLength(2);
      const e1Before = (await store.readHistory('a', 'e1', 0, 100))!.length;

      const outcome = await store.shutdownWorkerSession('a', s.workerId, T0 + 4, ran.map((t) => parseTaskToken(t.task_token)!));
      expect(outcome?.released).toBe(4);
      // The started activity attempt fails by its policy (one attempt: the activity fails); the other records nothing.
      const e1 = (await store.readHistory('a', 'e1', e1Before, 100))!;
      expect(e1.map((e) => e.event_type)).toEqual([E.ActivityTaskFailed]);
      expect(e1[0]!.attributes).toMatchObject({ activity_id: 1, attempt: 1, failure: { type: 'WorkerShutdown' } });
      expect(await eventTypes(store, 'a', 'e2')).toEqual([E.WorkflowExecutionStarted, E.WorkflowTaskFailed]);
      expect(await eventTypes(store, 'a', 'e3')).toEqual([E.WorkflowExecutionStarted]);

      const w2 = other();
      await store.openWorkerSession(w2);
      const taken = await store.claimTasks(claimOf(w2, T0 + 5));
      const described = taken.map((t) => `${t.kind} ${t.execution_id}${t.kind === 'activity' ? `#${t.activity_id}` : ''} attempt ${t.attempt}`);
      expect(described.sort()).toEqual(['activity e1#2 attempt 2', 'workflow e1 attempt 1', 'workflow e2 attempt 2', 'workflow e3 attempt 2']);
      // The unstarted activity, past its one attempt by number, still runs and completes: nothing counted it as failed.
      const unstarted = taken.find((t) => t.kind === 'activity')!;
      await store.completeActivityTask({ ...callerOf(w2, unstarted, T0 + 6), result: 2 });
      expect((await store.readHistory('a', 'e1', 0, 100))!.pop()).toMatchObject({ event_type: E.ActivityTaskCompleted, attributes: { activity_id: 2 } });
    });

    it('retries a started activity attempt by its policy, without backoff', async () => {
      const store = current();
      await startAndComplete([schedule(1)]);
      const [started] = await claimActivityTasks(store, s, T0 + 3);
      const outcome = await store.shutdownWorkerSession('a', s.workerId, T0 + 4, [parseTaskToken(started!.task_token)!]);
      expect(outcome?.tasks).toEqual([{ kind: 'activity', name: 'act', deploymentName: null, visibleAt: T0 + 4 }]);
      expect((await store.readHistory('a', 'e1', 0, 100))!.pop()).toMatchObject({
        event_type: E.ActivityTaskRetrying,
        attributes: { attempt: 1, next_attempt_delay_ms: 0, failure: { type: 'WorkerShutdown' } },
      });
    });

    it('ends as cancelled an unstarted activity the workflow asked to stop, as a release does', async () => {
      const store = current();
      await startAndComplete([schedule(1)]);
      await claimActivityTasks(store, s, T0 + 3);
      await signal(store, 'a', 'e1', T0 + 4);
      await runWorkflowTask(store, s, T0 + 5, [cancelActivity(1)]);
      const outcome = await store.shutdownWorkerSession('a', s.workerId, T0 + 6, []);
      expect(outcome?.released).toBe(1);
      expect((await store.readHistory('a', 'e1', 0, 100))!.pop()).toMatchObject({
        event_type: E.ActivityTaskCanceled,
        attributes: { activity_id: 1, attempt: 1, failure: null },
      });
      const w2 = other();
      await store.openWorkerSession(w2);
      expect((await store.claimTasks(claimOf(w2, T0 + 7))).map((t) => [t.kind, t.execution_id])).toEqual([['workflow', 'e1']]);
      expect(await claimActivityTasks(store, w2, T0 + 100_000)).toEqual([]);
    });
  });

  describe('released tasks (a poll whose answer was never delivered)', () => {
    it('go back to the queue at the next attempt without a failure; other leases stay', async () => {
      const store = current();
      await start(store, 'a', 'e1');
      await start(store, 'a', 'e2');
      const [t1, t2] = await store.claimTasks(claimOf(s, T0 + 1));
      const token = parseTaskToken(t1!.task_token)!;
      expect(await store.releaseTasks({ namespace: 'a', workerId: 'someone-else', tokens: [token], now: T0 + 2 })).toEqual([]);
      expect(await store.releaseTasks({ namespace: 'a', workerId: s.workerId, tokens: [token], now: T0 + 2 })).toEqual([
        { kind: 'workflow', name: 'wf', deploymentName: null, visibleAt: T0 + 2 },
      ]);
      expect(await store.releaseTasks({ namespace: 'a', workerId: s.workerId, tokens: [token], now: T0 + 3 })).toEqual([]);
      expect(await store.readHistory('a', 'e1', 0, 10)).toHaveLength(1);
      await expectCode(store.completeWorkflowTask({ ...callerOf(s, t1!, T0 + 3), commands: [] }), ErrorCode.TaskTokenStale);
      expect(await store.claimTasks(claimOf(s, T0 + 3))).toMatchObject([{ execution_id: t1!.execution_id, attempt: 2 }]);
      await store.completeWorkflowTask({ ...callerOf(s, t2!, T0 + 4), commands: [] });
    });
  });

  describe('claims', () => {
    it('lease nothing to a session that is not live', async () => {
      const store = current();
      await start(store, 'a', 'e1');
      expect(await store.claimTasks(claimOf(s, s.expiresAt))).toEqual([]);
      expect(await store.claimTasks(claimOf(session('a', { workerId: 'unknown' }), T0 + 1))).toEqual([]);
      expect(await store.claimTasks(claimOf(s, T0 + 1))).toHaveLength(1);
    });
  });
}
