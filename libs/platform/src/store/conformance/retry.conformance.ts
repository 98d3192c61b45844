import { describe, expect, it } from '@jest/globals';
import { ErrorCode, EventType, formatTaskToken, parseTaskToken, type Command, type RetryPolicyWire, type WorkflowTaskWire } from '#workflows/protocol';
import type { Store, TransitionOutcome, WorkerSession } from '../store.interface.js';
import { RETRY, T0, callerOf, claimActivityTasks, claimOf, claimWorkflowTask, eventTypes, expectCode, failure, schedule, start, stickyWorkflowTask } from './conformance.fixtures.js';

const E = EventType;

/** The retry part of the conformance suite: activity backoff and workflow task retries. */
export function describeRetryConformance(
  current: () => Store,
  s: WorkerSession,
  startAndComplete: (commands: Command[]) => Promise<TransitionOutcome>,
): void {
  describe('activity retries', () => {
    it('retries a failed attempt after the backoff, with a new token', async () => {
      const store = current();
      await startAndComplete([schedule(1)]);
      const [first] = await claimActivityTasks(store, s, T0 + 3);
      const outcome = await store.failActivityTask({ ...callerOf(s, first!, T0 + 10), failure: failure() });
      expect(outcome.tasks).toEqual([{ kind: 'activity', name: 'act', deploymentName: null, visibleAt: T0 + 1010 }]);
      const retrying = (await store.readHistory('a', 'e1', 4, 10))!;
      expect(retrying.map((e) => e.event_type)).toEqual([E.ActivityTaskRetrying]);
      expect(retrying[0]!.attributes).toEqual({ scheduled_event_id: 3, activity_id: 1, attempt: 1, failure: failure(), next_attempt_delay_ms: 1000 });
      expect(await claimActivityTasks(store, s, T0 + 1009)).toEqual([]);
      const [second] = await claimActivityTasks(store, s, T0 + 1010);
      expect(second).toMatchObject({ attempt: 2, activity_id: 1 });
      expect(second!.task_token).not.toBe(first!.task_token);
      await expectCode(store.completeActivityTask({ ...callerOf(s, first!, T0 + 1011), result: 'late' }), ErrorCode.TaskTokenStale);
      const again = await store.failActivityTask({ ...callerOf(s, second!, T0 + 2000), failure: failure() });
      expect(again.tasks[0]!.visibleAt).toBe(T0 + 4000);
    });

    it('caps the backoff at maximum_interval_ms and retries without limit when maximum_attempts is 0', async () => {
      const store = current();
      const unlimited: RetryPolicyWire = { ...RETRY, maximum_attempts: 0, maximum_interval_ms: 3000 };
      await startAndComplete([schedule(1, 'act', unlimited)]);
      const delays: number[] = [];
      let now = T0 + 3;
      for (let attempt = 1; attempt <= 5; attempt++) {
        const [task] = await claimActivityTasks(store, s, now);
        expect(task!.attempt).toBe(attempt);
        const outcome = await store.failActivityTask({ ...callerOf(s, task!, now), failure: failure() });
        delays.push(outcome.tasks[0]!.visibleAt - now);
        now = outcome.tasks[0]!.visibleAt;
      }
      expect(delays).toEqual([1000, 2000, 3000, 3000, 3000]);
    });

    it.each([
      ['the last attempt failed', failure(), 3],
      ['the failure is non-retryable', failure('Error', true), 1],
      ['the failure type is listed as non-retryable', failure('FatalError'), 1],
    ])('fails the activity and queues the workflow task when %s', async (_why, fault, attempts) => {
      const store = current();
      await startAndComplete([schedule(1)]);
      let now = T0 + 3;
      let outcome: TransitionOutcome | undefined;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const [task] = await claimActivityTasks(store, s, now);
        outcome = await store.failActivityTask({ ...callerOf(s, task!, now), failure: fault });
        now = Math.max(now, ...outcome.tasks.map((t) => t.visibleAt));
      }
      expect(outcome!.tasks).toEqual([stickyWorkflowTask(s, now)]);
      const history = (await store.readHistory('a', 'e1', 0, 100))!;
      const last = history[history.length - 1]!;
      expect(last.event_type).toBe(E.ActivityTaskFailed);
      expect(last.attributes).toEqual({ scheduled_event_id: 3, activity_id: 1, attempt: attempts, failure: fault });
      expect(history.filter((e) => e.event_type === E.ActivityTaskRetrying)).toHaveLength(attempts - 1);
      expect(await claimActivityTasks(store, s, now + 100_000)).toEqual([]);
      const task = await claimWorkflowTask(store, s, now);
      expect(task.history.map((e) => e.event_type)).toContain(E.ActivityTaskFailed);
    });
  });

  describe('workflow task retries', () => {
    it('records WORKFLOW_TASK_FAILED and offers the next attempt after the delay, with the full history', async () => {
      const store = current();
      await start(store, 'a', 'e1');
      const task = await claimWorkflowTask(store, s, T0 + 1);
      const outcome = await store.failWorkflowTask({ ...callerOf(s, task, T0 + 2), failure: failure('NonDeterminism'), retryDelayMs: 500 });
      expect(outcome.tasks).toEqual([{ kind: 'workflow', name: 'wf', deploymentName: null, visibleAt: T0 + 502 }]);
      const history = (await store.readHistory('a', 'e1', 1, 10))!;
      expect(history[0]!.attributes).toEqual({ last_seen_event_id: 1, worker_name: s.workerName, attempt: 1, failure: failure('NonDeterminism') });
      expect(await store.claimTasks(claimOf(s, T0 + 501))).toEqual([]);
      const retried = (await store.claimTasks(claimOf(s, T0 + 502)))[0] as WorkflowTaskWire;
      expect(retried.attempt).toBe(2);
      expect(retried.history.map((e) => e.event_type)).toEqual([E.WorkflowExecutionStarted, E.WorkflowTaskFailed]);
      expect(await eventTypes(store, 'a', 'e1')).toEqual([E.WorkflowExecutionStarted, E.WorkflowTaskFailed]);
      // The execution shows why it is parked until a task completes.
      expect((await store.getExecution('a', 'e1'))!.pendingTaskFailure).toEqual({ type: 'NonDeterminism', message: failure('NonDeterminism').message });
      await store.completeWorkflowTask({ ...callerOf(s, retried, T0 + 503), commands: [] });
      expect((await store.getExecution('a', 'e1'))!.pendingTaskFailure).toBeNull();
    });
  });

  describe('a parked execution', () => {
    it('records a workflow task failure only when it differs from the previous one, while attempts still count', async () => {
      const store = current();
      await start(store, 'a', 'e1');
      const fault = failure('NonDeterminism');
      let now = T0 + 1;
      for (let attempt = 1; attempt <= 5; attempt++) {
        const task = await claimWorkflowTask(store, s, now);
        expect(task.attempt).toBe(attempt);
        await store.failWorkflowTask({ ...callerOf(s, task, now), failure: fault, retryDelayMs: 0 });
        now += 1;
      }
      expect(await eventTypes(store, 'a', 'e1')).toEqual([E.WorkflowExecutionStarted, E.WorkflowTaskFailed]);
      const sixth = await claimWorkflowTask(store, s, now);
      await store.failWorkflowTask({ ...callerOf(s, sixth, now), failure: failure('OtherError'), retryDelayMs: 0 });
      const history = (await store.readHistory('a', 'e1', 0, 100))!;
      expect(history.map((e) => [e.event_type, (e.attributes as { attempt?: number }).attempt])).toEqual([
        [E.WorkflowExecutionStarted, undefined],
        [E.WorkflowTaskFailed, 1],
        [E.WorkflowTaskFailed, 6],
      ]);
      expect((await claimWorkflowTask(store, s, now + 1)).attempt).toBe(7);
    });
  });

  describe('retried completions (a lost response)', () => {
    it('answer the same token on the task it closed as done, writing nothing; another attempt is stale', async () => {
      const store = current();
      await startAndComplete([schedule(1), schedule(2, 'act', { ...RETRY, maximum_attempts: 1 })]);
      const [a1, a2] = await claimActivityTasks(store, s, T0 + 3);
      await store.completeActivityTask({ ...callerOf(s, a1!, T0 + 4), result: 'one' });
      await store.failActivityTask({ ...callerOf(s, a2!, T0 + 5), failure: failure() });
      const before = await eventTypes(store, 'a', 'e1');
      expect(await store.completeActivityTask({ ...callerOf(s, a1!, T0 + 6), result: 'one' })).toEqual({ tasks: [], duplicate: true });
      expect(await store.failActivityTask({ ...callerOf(s, a2!, T0 + 6), failure: failure() })).toEqual({ tasks: [], duplicate: true });
      const token = parseTaskToken(a1!.task_token)!;
      await expectCode(store.completeActivityTask({ ...callerOf(s, formatTaskToken({ ...token, attempt: 2 }), T0 + 6), result: 1 }), ErrorCode.TaskTokenStale);
      expect(await eventTypes(store, 'a', 'e1')).toEqual(before);
    });

    it('are refused once a failure requeued the task: the token is of an older attempt', async () => {
      const store = current();
      await startAndComplete([schedule(1)]);
      const [first] = await claimActivityTasks(store, s, T0 + 3);
      await store.failActivityTask({ ...callerOf(s, first!, T0 + 4), failure: failure() });
      await expectCode(store.failActivityTask({ ...callerOf(s, first!, T0 + 5), failure: failure() }), ErrorCode.TaskTokenStale);
    });

    it('are forgotten when closed tasks are purged', async () => {
      const store = current();
      await start(store, 'a', 'e1');
      const task = await claimWorkflowTask(store, s, T0 + 1);
      await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 2), commands: [schedule(1)] });
      expect(await store.purgeClosedTasks(T0 + 2, 100)).toBe(0);
      expect(await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 3), commands: [schedule(1)] })).toEqual({ tasks: [], duplicate: true });
      expect(await store.purgeClosedTasks(T0 + 3, 100)).toBe(1);
      await expectCode(store.completeWorkflowTask({ ...callerOf(s, task, T0 + 4), commands: [] }), ErrorCode.TaskNotFound);
      expect(await claimActivityTasks(store, s, T0 + 5)).toHaveLength(1);
    });
  });
}
