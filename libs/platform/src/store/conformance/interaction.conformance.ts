import { describe, expect, it } from '@jest/globals';
import { CommandType, ErrorCode, EventType, ExecutionStatus, PlatformFailureType, type Command, type HistoryEvent } from '#workflows/protocol';
import type { Store, TransitionOutcome, WorkerSession } from '../store.interface.js';
import {
  T0,
  callerOf,
  cancelActivity,
  claimActivityTasks,
  claimOf,
  claimWorkflowTask,
  complete,
  completeUpdate,
  eventTypes,
  expectCode,
  failure,
  runWorkflowTask,
  schedule,
  signal,
  start,
  startTimer, stickyWorkflowTask } from './conformance.fixtures.js';

const E = EventType;
const WORKFLOW_TASK = { kind: 'workflow', name: 'wf', deploymentName: null } as const;

/** The last event of `e1` in namespace `a`. */
async function lastEvent(store: Store): Promise<HistoryEvent> {
  return (await store.readHistory('a', 'e1', 0, 10_000))!.pop()!;
}

/**
 * The part of the conformance suite that talks to running executions: signals (and
 * signal-with-start), cancellation of workflows and activities, termination, updates, and the
 * rule that no external event is lost to a task that closes the run.
 */
export function describeInteractionConformance(
  current: () => Store,
  s: WorkerSession,
  startAndComplete: (commands: Command[]) => Promise<TransitionOutcome>,
): void {
  describe('signals', () => {
    it('append WORKFLOW_EXECUTION_SIGNALED and queue one workflow task, or none while one is queued or leased', async () => {
      const store = current();
      await startAndComplete([]);
      const first = await store.signalExecution({ namespace: 'a', executionId: 'e1', signalName: 'go', input: { n: 1 }, now: T0 + 10 });
      expect(first).toMatchObject({ appended: true, tasks: [{ ...WORKFLOW_TASK, visibleAt: T0 + 10 }], execution: { executionId: 'e1', lastEventId: 3 } });
      expect(await lastEvent(store)).toMatchObject({ event_id: 3, event_type: E.WorkflowExecutionSignaled, attributes: { signal_name: 'go', input: { n: 1 } } });
      expect((await signal(store, 'a', 'e1', T0 + 11)).tasks).toEqual([]);
      const task = await claimWorkflowTask(store, s, T0 + 12);
      expect(task.history.filter((event) => event.event_type === E.WorkflowExecutionSignaled)).toHaveLength(2);
      expect((await signal(store, 'a', 'e1', T0 + 13)).tasks).toEqual([]);
      const outcome = await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 14), commands: [] });
      expect(outcome.tasks).toEqual([stickyWorkflowTask(s, T0 + 14)]);
    });

    it('are refused for an unknown execution and for a closed one, naming its status', async () => {
      const store = current();
      await expectCode(signal(store, 'a', 'missing', T0), ErrorCode.ExecutionNotFound);
      await startAndComplete([complete()]);
      await expectCode(signal(store, 'b', 'e1', T0 + 10), ErrorCode.ExecutionNotFound);
      await expectCode(signal(store, 'a', 'e1', T0 + 10), ErrorCode.ExecutionClosed, /e1.*COMPLETED/);
      expect((await lastEvent(store)).event_type).toBe(E.WorkflowExecutionCompleted);
    });

    it('with start: create the execution with STARTED then SIGNALED, signal a running one, and leave a closed one alone', async () => {
      const store = current();
      const withSignal = (input: string, now: number) =>
        store.startExecution({ namespace: 'a', executionId: 'e1', runId: `run-${now}`, workflowName: 'wf', deploymentName: null, input, now, signal: { name: 'go', input } });
      const created = await withSignal('first', T0);
      expect(created).toMatchObject({ created: true, signaled: true, tasks: [{ ...WORKFLOW_TASK, visibleAt: T0 }], execution: { runId: `run-${T0}` } });
      expect(await eventTypes(store, 'a', 'e1')).toEqual([E.WorkflowExecutionStarted, E.WorkflowExecutionSignaled]);
      const running = await withSignal('second', T0 + 1);
      expect(running).toMatchObject({ created: false, signaled: true, tasks: [], execution: { runId: `run-${T0}`, lastEventId: 3 } });
      expect(await lastEvent(store)).toMatchObject({ event_type: E.WorkflowExecutionSignaled, attributes: { signal_name: 'go', input: 'second' } });
      await runWorkflowTask(store, s, T0 + 2, [complete()]);
      const closed = await withSignal('third', T0 + 3);
      expect(closed).toMatchObject({ created: false, signaled: false, tasks: [], execution: { status: ExecutionStatus.Completed } });
      expect((await lastEvent(store)).event_type).toBe(E.WorkflowExecutionCompleted);
    });
  });

  describe('workflow cancellation', () => {
    it('records a request once while running, and CANCEL_WORKFLOW closes the run as CANCELED', async () => {
      const store = current();
      await startAndComplete([]);
      const request = { namespace: 'a', executionId: 'e1', reason: 'no longer needed', now: T0 + 10 };
      expect(await store.requestCancelExecution(request)).toMatchObject({ appended: true, tasks: [{ ...WORKFLOW_TASK, visibleAt: T0 + 10 }] });
      expect(await store.requestCancelExecution({ ...request, now: T0 + 11 })).toMatchObject({ appended: false, tasks: [] });
      expect(await lastEvent(store)).toMatchObject({ event_type: E.WorkflowExecutionCancelRequested, attributes: { reason: 'no longer needed' } });
      const outcome = await runWorkflowTask(store, s, T0 + 12, [{ type: CommandType.CancelWorkflow, reason: 'asked to' }]);
      expect(outcome).toEqual({ tasks: [], closed: { executionId: 'e1', status: ExecutionStatus.Canceled } });
      expect(await store.getExecution('a', 'e1')).toMatchObject({ status: ExecutionStatus.Canceled, endTime: T0 + 12, result: null });
      expect(await lastEvent(store)).toMatchObject({ event_type: E.WorkflowExecutionCanceled, attributes: { reason: 'asked to' } });
      await expectCode(store.requestCancelExecution(request), ErrorCode.ExecutionClosed, /CANCELED/);
      await expectCode(store.requestCancelExecution({ ...request, executionId: 'missing' }), ErrorCode.ExecutionNotFound);
    });
  });

  describe('activity cancellation', () => {
    it('cancels at once an activity waiting for its retry and one not started yet', async () => {
      const store = current();
      await startAndComplete([schedule(1), schedule(2)]);
      const [first] = await claimActivityTasks(store, s, T0 + 3, 1);
      await store.failActivityTask({ ...callerOf(s, first!, T0 + 4), failure: failure() });
      await signal(store, 'a', 'e1', T0 + 5);
      const outcome = await runWorkflowTask(store, s, T0 + 6, [cancelActivity(1), cancelActivity(2)]);
      expect(outcome.tasks).toEqual([stickyWorkflowTask(s, T0 + 6)]);
      const history = (await store.readHistory('a', 'e1', 0, 100))!;
      expect(history.slice(-4).map((event) => [event.event_type, event.attributes])).toEqual([
        [E.ActivityTaskCancelRequested, { scheduled_event_id: 3, activity_id: 1 }],
        [E.ActivityTaskCancelRequested, { scheduled_event_id: 4, activity_id: 2 }],
        [E.ActivityTaskCanceled, { scheduled_event_id: 3, activity_id: 1, attempt: 2, failure: null }],
        [E.ActivityTaskCanceled, { scheduled_event_id: 4, activity_id: 2, attempt: 1, failure: null }],
      ]);
      expect(await claimActivityTasks(store, s, T0 + 100_000)).toEqual([]);
      await expectCode(store.failActivityTask({ ...callerOf(s, first!, T0 + 7), failure: failure() }), ErrorCode.TaskTokenStale);
    });

    it('asks a running attempt to stop: its heartbeat says so, its failure is recorded as cancelled and not retried', async () => {
      const store = current();
      await startAndComplete([schedule(1), schedule(2)]);
      const [a1, a2] = await claimActivityTasks(store, s, T0 + 3);
      expect(await store.heartbeatActivityTask(callerOf(s, a1!, T0 + 4))).toEqual({ cancelRequested: false });
      await signal(store, 'a', 'e1', T0 + 5);
      const outcome = await runWorkflowTask(store, s, T0 + 6, [cancelActivity(1), cancelActivity(2)]);
      expect(outcome.tasks).toEqual([]);
      expect((await eventTypes(store, 'a', 'e1')).slice(-2)).toEqual([E.ActivityTaskCancelRequested, E.ActivityTaskCancelRequested]);
      expect(await store.heartbeatActivityTask(callerOf(s, a1!, T0 + 7))).toEqual({ cancelRequested: true });
      const failed = await store.failActivityTask({ ...callerOf(s, a1!, T0 + 8), failure: failure('Cancelled') });
      expect(failed.tasks).toEqual([stickyWorkflowTask(s, T0 + 8)]);
      expect(await lastEvent(store)).toMatchObject({
        event_type: E.ActivityTaskCanceled,
        attributes: { scheduled_event_id: 3, activity_id: 1, attempt: 1, failure: failure('Cancelled') },
      });
      // A completion despite the request still records the result.
      await store.completeActivityTask({ ...callerOf(s, a2!, T0 + 9), result: 'done anyway' });
      expect(await lastEvent(store)).toMatchObject({ event_type: E.ActivityTaskCompleted, attributes: { activity_id: 2, result: 'done anyway' } });
      expect(await eventTypes(store, 'a', 'e1')).not.toContain(E.ActivityTaskRetrying);
      expect(await claimActivityTasks(store, s, T0 + 100_000)).toEqual([]);
    });

    it('records a cancelled attempt whose worker went away as cancelled, not retried', async () => {
      const store = current();
      await startAndComplete([schedule(1)]);
      await claimActivityTasks(store, s, T0 + 3);
      await signal(store, 'a', 'e1', T0 + 4);
      await runWorkflowTask(store, s, T0 + 5, [cancelActivity(1)]);
      await store.expireLeases(s.expiresAt);
      expect(await lastEvent(store)).toMatchObject({
        event_type: E.ActivityTaskCanceled,
        attributes: { activity_id: 1, attempt: 1, failure: { type: PlatformFailureType.WorkerSessionExpired } },
      });
    });

    it('ends as cancelled, never to run again, an attempt asked to stop that its worker never received', async () => {
      const store = current();
      await startAndComplete([schedule(1)]);
      const [a1] = await claimActivityTasks(store, s, T0 + 3);
      await signal(store, 'a', 'e1', T0 + 4);
      await runWorkflowTask(store, s, T0 + 5, [cancelActivity(1)]);
      const released = await store.releaseTasks({ namespace: 'a', workerId: s.workerId, tokens: [callerOf(s, a1!, T0 + 6).token], now: T0 + 6 });
      expect(released).toEqual([stickyWorkflowTask(s, T0 + 6)]);
      expect(await lastEvent(store)).toMatchObject({ event_type: E.ActivityTaskCanceled, attributes: { activity_id: 1, attempt: 1, failure: null } });
      expect(await claimActivityTasks(store, s, T0 + 100_000)).toEqual([]);
    });

    it('records only the request for an activity already closed, and refuses an activity id never scheduled', async () => {
      const store = current();
      await startAndComplete([schedule(1)]);
      const [a1] = await claimActivityTasks(store, s, T0 + 3);
      await store.completeActivityTask({ ...callerOf(s, a1!, T0 + 4), result: 1 });
      const task = await claimWorkflowTask(store, s, T0 + 5);
      await expectCode(store.completeWorkflowTask({ ...callerOf(s, task, T0 + 6), commands: [cancelActivity(9)] }), ErrorCode.RequestInvalid, /commands\[0\].*activity_id 9/);
      const outcome = await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 6), commands: [cancelActivity(1)] });
      expect(outcome.tasks).toEqual([]);
      expect((await eventTypes(store, 'a', 'e1')).slice(-3)).toEqual([E.ActivityTaskCompleted, E.WorkflowTaskCompleted, E.ActivityTaskCancelRequested]);
    });
  });

  describe('termination', () => {
    it('ends the run at once: TERMINATED last, every task closed, every token stale, timers gone', async () => {
      const store = current();
      await startAndComplete([schedule(1), startTimer(1, 1000)]);
      const [activity] = await claimActivityTasks(store, s, T0 + 3);
      await signal(store, 'a', 'e1', T0 + 4);
      const task = await claimWorkflowTask(store, s, T0 + 5);
      const outcome = await store.terminateExecution({ namespace: 'a', executionId: 'e1', reason: 'operator', now: T0 + 6 });
      expect(outcome).toMatchObject({
        appended: true,
        tasks: [],
        closed: { executionId: 'e1', status: ExecutionStatus.Terminated },
        execution: { status: ExecutionStatus.Terminated, endTime: T0 + 6 },
      });
      expect(await lastEvent(store)).toMatchObject({ event_type: E.WorkflowExecutionTerminated, attributes: { reason: 'operator' } });
      const closed = await eventTypes(store, 'a', 'e1');
      await expectCode(store.completeWorkflowTask({ ...callerOf(s, task, T0 + 7), commands: [complete()] }), ErrorCode.TaskTokenStale);
      await expectCode(store.completeActivityTask({ ...callerOf(s, activity!, T0 + 7), result: 1 }), ErrorCode.TaskTokenStale);
      await expectCode(store.heartbeatActivityTask(callerOf(s, activity!, T0 + 7)), ErrorCode.TaskTokenStale);
      expect((await store.expireTimeouts(T0 + 100_000, 10)).fired).toBe(0);
      expect(await store.expireLeases(T0 + 100_000)).toEqual([]);
      expect(await store.claimTasks(claimOf(s, T0 + 8))).toEqual([]);
      await expectCode(signal(store, 'a', 'e1', T0 + 9), ErrorCode.ExecutionClosed, /TERMINATED/);
      await expectCode(store.terminateExecution({ namespace: 'a', executionId: 'e1', reason: null, now: T0 + 9 }), ErrorCode.ExecutionClosed);
      await expectCode(store.terminateExecution({ namespace: 'a', executionId: 'nope', reason: null, now: T0 + 9 }), ErrorCode.ExecutionNotFound);
      expect(await eventTypes(store, 'a', 'e1')).toEqual(closed);
    });
  });

  describe('updates', () => {
    const accept = (store: Store, updateId: string, now: number, executionId = 'e1') =>
      store.acceptUpdate({ namespace: 'a', executionId, updateId, updateName: 'rename', input: { to: updateId }, now });

    it('are accepted once per id, completed by COMPLETE_UPDATE, and report where they stand', async () => {
      const store = current();
      await startAndComplete([]);
      expect(await accept(store, 'u1', T0 + 10)).toMatchObject({ appended: true, tasks: [{ ...WORKFLOW_TASK, visibleAt: T0 + 10 }] });
      expect(await accept(store, 'u1', T0 + 11)).toMatchObject({ appended: false, tasks: [] });
      expect(await lastEvent(store)).toMatchObject({
        event_id: 3,
        event_type: E.WorkflowExecutionUpdateAccepted,
        attributes: { update_id: 'u1', update_name: 'rename', input: { to: 'u1' } },
      });
      expect(await store.getUpdateOutcome('a', 'e1', 'u1')).toEqual({ stage: 'accepted', acceptedEventId: 3, executionStatus: ExecutionStatus.Running });
      expect(await store.getUpdateOutcome('a', 'e1', 'u2')).toBeNull();
      expect(await store.getUpdateOutcome('a', 'missing', 'u1')).toBeNull();
      await runWorkflowTask(store, s, T0 + 12, [completeUpdate('u1', { renamed: true })]);
      expect(await lastEvent(store)).toMatchObject({
        event_type: E.WorkflowExecutionUpdateCompleted,
        attributes: { update_id: 'u1', accepted_event_id: 3, result: { renamed: true }, failure: null },
      });
      expect(await store.getUpdateOutcome('a', 'e1', 'u1')).toEqual({ stage: 'completed', acceptedEventId: 3, result: { renamed: true }, failure: null });
      await accept(store, 'u2', T0 + 13);
      const task = await claimWorkflowTask(store, s, T0 + 14);
      for (const [commands, detail] of [
        [[completeUpdate('u1')], /commands\[0\] completes update 'u1' again/],
        [[completeUpdate('u2'), completeUpdate('zz')], /commands\[1\] completes update 'zz'/],
      ] as const) {
        await expectCode(store.completeWorkflowTask({ ...callerOf(s, task, T0 + 15), commands: [...commands] }), ErrorCode.RequestInvalid, detail);
      }
    });

    it('on a closed run: a known id still answers, a new one is refused', async () => {
      const store = current();
      await startAndComplete([]);
      await accept(store, 'u1', T0 + 10);
      await runWorkflowTask(store, s, T0 + 11, [complete()]);
      expect(await accept(store, 'u1', T0 + 12)).toMatchObject({ appended: false, execution: { status: ExecutionStatus.Completed } });
      await expectCode(accept(store, 'u2', T0 + 12), ErrorCode.ExecutionClosed, /COMPLETED/);
      await expectCode(accept(store, 'u1', T0 + 12, 'missing'), ErrorCode.ExecutionNotFound);
      expect(await store.getUpdateOutcome('a', 'e1', 'u1')).toEqual({ stage: 'accepted', acceptedEventId: 3, executionStatus: ExecutionStatus.Completed });
    });
  });

  describe('external events that arrive while a task runs', () => {
    const sends: [string, (store: Store, now: number) => Promise<unknown>, EventType][] = [
      ['a signal', (store, now) => signal(store, 'a', 'e1', now), E.WorkflowExecutionSignaled],
      ['a cancellation request', (store, now) => store.requestCancelExecution({ namespace: 'a', executionId: 'e1', reason: null, now }), E.WorkflowExecutionCancelRequested],
      [
        'an update',
        (store, now) => store.acceptUpdate({ namespace: 'a', executionId: 'e1', updateId: 'u', updateName: 'n', input: null, now }),
        E.WorkflowExecutionUpdateAccepted,
      ],
    ];

    it.each(sends)('keep the run open when the task would close it without having seen %s: the next attempt gets it', async (_what, send, type) => {
      const store = current();
      await start(store, 'a', 'e1');
      const task = await claimWorkflowTask(store, s, T0 + 1);
      await send(store, T0 + 2);
      const outcome = await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 3), commands: [complete()] });
      expect(outcome).toEqual({ tasks: [{ ...WORKFLOW_TASK, visibleAt: T0 + 3 }] });
      expect((await store.getExecution('a', 'e1'))?.status).toBe(ExecutionStatus.Running);
      expect(await lastEvent(store)).toMatchObject({
        event_type: E.WorkflowTaskFailed,
        attributes: { attempt: 1, last_seen_event_id: 1, failure: { type: PlatformFailureType.UnhandledExternalEvent, message: expect.stringContaining(`${type} (event 2)`) } },
      });
      await expectCode(store.completeWorkflowTask({ ...callerOf(s, task, T0 + 4), commands: [complete()] }), ErrorCode.TaskTokenStale);
      const next = await claimWorkflowTask(store, s, T0 + 4);
      expect(next.attempt).toBe(2);
      expect(next.history.map((event) => event.event_type)).toContain(type);
      const closed = await store.completeWorkflowTask({ ...callerOf(s, next, T0 + 5), commands: [complete()] });
      expect(closed.closed?.status).toBe(ExecutionStatus.Completed);
    });
  });
}
