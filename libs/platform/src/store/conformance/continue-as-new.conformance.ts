import { describe, expect, it } from '@jest/globals';
import {
  CommandType,
  ErrorCode,
  EventType,
  ExecutionStatus,
  PlatformFailureType,
  TERMINAL_EVENT_TYPES,
  type Command,
  type HistoryEvent,
  type JsonValue,
} from '#workflows/protocol';
import type { HistoryLimits, Store, TransitionOutcome, WorkerSession } from '../store.interface.js';
import {
  T0,
  callerOf,
  claimActivityTasks,
  claimOf,
  claimWorkflowTask,
  complete,
  eventTypes,
  expectCode,
  schedule,
  signal,
  start,
  startTimer, stickyWorkflowTask } from './conformance.fixtures.js';

const E = EventType;

/** A CONTINUE_AS_NEW command. */
function continueAsNew(input: JsonValue | null, workflowName?: string): Command {
  return workflowName === undefined ? { type: CommandType.ContinueAsNew, input } : { type: CommandType.ContinueAsNew, input, workflow_name: workflowName };
}

/** Every event of one run of `a`'s execution `id` (the current run without `runId`). */
async function history(store: Store, id: string, runId?: string): Promise<HistoryEvent[]> {
  return (await store.readHistory('a', id, 0, 10_000, runId)) ?? [];
}

/**
 * The part of the conformance suite about long-lived executions (issue 6): continue-as-new starts
 * a new run under the same execution id and keeps the old run's history readable; the history
 * limits suggest it, warn once, and end a run that would grow past the hard limit.
 */
export function describeContinueAsNewConformance(
  current: () => Store,
  s: WorkerSession,
  startAndComplete: (commands: Command[]) => Promise<TransitionOutcome>,
): void {
  describe('continue-as-new', () => {
    it('closes the run, keeps its history under its run id, and starts a new run of the same execution', async () => {
      const store = current();
      await startAndComplete([schedule(1), startTimer(1, 60_000)]);
      const [activity] = await claimActivityTasks(store, s, T0 + 3);
      await signal(store, 'a', 'e1', T0 + 4);
      const task = await claimWorkflowTask(store, s, T0 + 5);
      const outcome = await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 6), commands: [continueAsNew({ n: 2 })] });

      expect(outcome.closed).toEqual({ executionId: 'e1', status: ExecutionStatus.ContinuedAsNew });
      expect(outcome.tasks).toEqual([stickyWorkflowTask(s, T0 + 6)]);
      const old = await history(store, 'e1', 'run-a-e1');
      const last = old[old.length - 1]!;
      expect(last).toMatchObject({ event_type: E.WorkflowExecutionContinuedAsNew, attributes: { workflow_name: 'wf', input: { n: 2 } } });
      const newRunId = (last.attributes as { new_run_id: string }).new_run_id;
      expect(newRunId).not.toBe('run-a-e1');

      const execution = await store.getExecution('a', 'e1');
      expect(execution).toMatchObject({
        executionId: 'e1',
        runId: newRunId,
        workflowName: 'wf',
        status: ExecutionStatus.Running,
        input: { n: 2 },
        result: null,
        failure: null,
        startTime: T0 + 6,
        endTime: null,
        rootExecutionId: 'e1',
        parentExecutionId: null,
        deploymentName: null,
        lastEventId: 1,
      });
      expect(await history(store, 'e1')).toEqual([
        expect.objectContaining({
          event_id: 1,
          event_type: E.WorkflowExecutionStarted,
          attributes: { workflow_name: 'wf', deployment_name: null, input: { n: 2 }, run_id: newRunId, continued_from_run_id: 'run-a-e1' },
        }),
      ]);
      expect(await history(store, 'e1', newRunId)).toHaveLength(1);

      // The old run's activity and timer are closed: its token is stale and the timer never fires.
      await expectCode(store.completeActivityTask({ ...callerOf(s, activity!, T0 + 7), result: 1 }), ErrorCode.TaskTokenStale);
      expect(await store.expireTimeouts(T0 + 120_000, 10)).toEqual({ fired: 0, released: [] });
      expect(await history(store, 'e1', 'run-a-e1')).toEqual(old);

      // Signals reach the new run, whose workflow task is the next to lease.
      await signal(store, 'a', 'e1', T0 + 8);
      expect(await eventTypes(store, 'a', 'e1')).toEqual([E.WorkflowExecutionStarted, E.WorkflowExecutionSignaled]);
      const next = await claimWorkflowTask(store, s, T0 + 9);
      expect(next).toMatchObject({ execution_id: 'e1', run_id: newRunId, workflow_name: 'wf', attempt: 1 });
      expect(next.history.map((event) => event.event_type)).toEqual([E.WorkflowExecutionStarted, E.WorkflowExecutionSignaled]);
      await store.completeWorkflowTask({ ...callerOf(s, next, T0 + 10), commands: [complete('end')] });
      expect(await store.getExecution('a', 'e1')).toMatchObject({ runId: newRunId, status: ExecutionStatus.Completed, result: 'end' });
    });

    it('reads no history for a run id that is not one of the execution’s runs', async () => {
      const store = current();
      await startAndComplete([continueAsNew(null)]);
      await start(store, 'a', 'e2');
      expect(await store.readHistory('a', 'e1', 0, 10, 'no-such-run')).toBeNull();
      expect(await store.readHistory('a', 'e1', 0, 10, 'run-a-e2')).toBeNull();
      expect(await store.readHistory('b', 'e1', 0, 10, 'run-a-e1')).toBeNull();
      expect(await store.readHistory('a', 'e1', 0, 10, 'run-a-e1')).not.toBeNull();
    });

    it('continues as another workflow when the command names one', async () => {
      const store = current();
      const outcome = await startAndComplete([continueAsNew([1, 2], 'other')]);
      expect(outcome.tasks).toEqual([{ kind: 'workflow', name: 'other', deploymentName: null, visibleAt: T0 + 2 }]);
      expect(await store.getExecution('a', 'e1')).toMatchObject({ workflowName: 'other', status: ExecutionStatus.Running, input: [1, 2] });
      expect(await store.claimTasks(claimOf(s, T0 + 3))).toEqual([]);
      const other = await store.claimTasks(claimOf({ ...s, workflows: ['other'] }, T0 + 3));
      expect(other).toMatchObject([{ kind: 'workflow', execution_id: 'e1', workflow_name: 'other' }]);
    });

    it('keeps the deployment the execution is pinned to', async () => {
      const store = current();
      await start(store, 'a', 'e1', T0, 'blue');
      const task = await claimWorkflowTask(store, s, T0 + 1);
      const outcome = await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 2), commands: [continueAsNew(null)] });
      expect(outcome.tasks).toEqual([{ kind: 'workflow', name: 'wf', deploymentName: 'blue', visibleAt: T0 + 2 }]);
      expect(await store.getExecution('a', 'e1')).toMatchObject({ deploymentName: 'blue', status: ExecutionStatus.Running });
    });

    it('is not applied while a signal arrived after the task’s events: the attempt fails and the next one gets it', async () => {
      const store = current();
      await start(store, 'a', 'e1');
      const task = await claimWorkflowTask(store, s, T0 + 1);
      await signal(store, 'a', 'e1', T0 + 2);
      const outcome = await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 3), commands: [continueAsNew(null)] });
      expect(outcome.closed).toBeUndefined();
      expect(await store.getExecution('a', 'e1')).toMatchObject({ runId: 'run-a-e1', status: ExecutionStatus.Running });
      const failed = (await history(store, 'e1')).find((event) => event.event_type === E.WorkflowTaskFailed);
      expect(failed?.attributes).toMatchObject({ failure: { type: PlatformFailureType.UnhandledExternalEvent } });
      const retry = await claimWorkflowTask(store, s, T0 + 4);
      expect(retry.history.map((event) => event.event_type)).toContain(E.WorkflowExecutionSignaled);
    });

    it('answers a retried completion as a duplicate and starts no second run', async () => {
      const store = current();
      await start(store, 'a', 'e1');
      const task = await claimWorkflowTask(store, s, T0 + 1);
      const first = await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 2), commands: [continueAsNew(1)] });
      const runId = (await store.getExecution('a', 'e1'))!.runId;
      const again = await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 3), commands: [continueAsNew(1)] });
      expect(first.closed?.status).toBe(ExecutionStatus.ContinuedAsNew);
      expect(again).toEqual({ tasks: [], duplicate: true });
      expect((await store.getExecution('a', 'e1'))!.runId).toBe(runId);
      expect(await store.claimTasks(claimOf(s, T0 + 4))).toHaveLength(1);
    });

    it('never loses a signal racing the completion that continues the run, nor appends after its terminal event', async () => {
      const store = current();
      const ids = Array.from({ length: 8 }, (_, i) => `race${i}`);
      for (const id of ids) await start(store, 'a', id);
      const tasks = await store.claimTasks(claimOf(s, T0 + 1, { maxWorkflowTasks: ids.length, maxActivityTasks: 0 }));
      expect(tasks).toHaveLength(ids.length);
      await Promise.all(
        tasks.map((task) =>
          Promise.all([
            signal(store, 'a', task.execution_id, T0 + 2, 'raced'),
            store.completeWorkflowTask({ ...callerOf(s, task, T0 + 2), commands: [continueAsNew(null)] }),
          ]),
        ),
      );
      for (const id of ids) {
        const old = await history(store, id, `run-a-${id}`);
        const terminal = old.findIndex((event) => TERMINAL_EVENT_TYPES.has(event.event_type));
        if (terminal >= 0) expect(terminal).toBe(old.length - 1);
        const current_ = await store.getExecution('a', id);
        const runs = current_!.runId === `run-a-${id}` ? [old] : [old, await history(store, id)];
        const signals = runs.flat().filter((event) => event.event_type === E.WorkflowExecutionSignaled);
        expect(signals).toHaveLength(1);
      }
    });
  });

  describe('history limits', () => {
    const limits: HistoryLimits = { warnEvents: 4, maxEvents: 8 };

    it('give each workflow task its history length and suggest continuing as new at the warn limit', async () => {
      const store = current();
      await start(store, 'a', 'e1');
      const first = await store.claimTasks(claimOf(s, T0 + 1, { historyWarnEvents: 3 }));
      expect(first).toMatchObject([{ history_length: 1, continue_as_new_suggested: false }]);
      await store.completeWorkflowTask({ ...callerOf(s, first[0]!, T0 + 2), commands: [] });
      await signal(store, 'a', 'e1', T0 + 3);
      const second = await store.claimTasks(claimOf(s, T0 + 4, { historyWarnEvents: 3 }));
      expect(second).toMatchObject([{ history_length: 3, continue_as_new_suggested: true }]);
    });

    it('report the warning once per run, at the first completion at or past the warn limit', async () => {
      const store = current();
      await start(store, 'a', 'e1');
      const complete1 = async (now: number) => {
        const task = await claimWorkflowTask(store, s, now);
        return store.completeWorkflowTask({ ...callerOf(s, task, now + 1), commands: [], historyLimits: limits });
      };
      expect((await complete1(T0 + 1)).historyWarning).toBeUndefined(); // 2 events
      await signal(store, 'a', 'e1', T0 + 3);
      expect((await complete1(T0 + 4)).historyWarning).toEqual({ executionId: 'e1', runId: 'run-a-e1', historyLength: 4 });
      await signal(store, 'a', 'e1', T0 + 6);
      expect((await complete1(T0 + 7)).historyWarning).toBeUndefined(); // 6 events: warned already
      // A task leased at or past the warn limit records that it was told so, for replays.
      const completions = (await history(store, 'e1')).filter((event) => event.event_type === E.WorkflowTaskCompleted);
      expect(completions.map((event) => event.attributes)).toEqual([
        { last_seen_event_id: 1, worker_name: s.workerName, attempt: 1 },
        { last_seen_event_id: 3, worker_name: s.workerName, attempt: 1 },
        { last_seen_event_id: 5, worker_name: s.workerName, attempt: 1, continue_as_new_suggested: true },
      ]);
      await signal(store, 'a', 'e1', T0 + 9);
      const task = await claimWorkflowTask(store, s, T0 + 10);
      await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 11), commands: [continueAsNew(null)], historyLimits: limits });
      // The new run is warned again when it gets there.
      expect((await complete1(T0 + 12)).historyWarning).toBeUndefined();
      await signal(store, 'a', 'e1', T0 + 14);
      expect((await complete1(T0 + 15)).historyWarning).toMatchObject({ executionId: 'e1', historyLength: 4 });
    });

    it('end a run whose completion would pass the hard limit FAILED, without applying its commands', async () => {
      const store = current();
      await start(store, 'a', 'e1');
      for (let i = 0; i < 3; i++) await signal(store, 'a', 'e1', T0 + 1 + i); // 4 events
      const first = await claimWorkflowTask(store, s, T0 + 5);
      await store.completeWorkflowTask({ ...callerOf(s, first, T0 + 6), commands: [startTimer(1, 1000)], historyLimits: limits }); // 6
      await signal(store, 'a', 'e1', T0 + 7); // 7
      const task = await claimWorkflowTask(store, s, T0 + 8);
      const outcome = await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 9), commands: [schedule(1)], historyLimits: limits });
      expect(outcome).toEqual({ tasks: [], closed: { executionId: 'e1', status: ExecutionStatus.Failed } });
      const events = await history(store, 'e1');
      expect(events.map((event) => event.event_type).slice(-2)).toEqual([E.WorkflowExecutionSignaled, E.WorkflowExecutionFailed]);
      const failure = (await store.getExecution('a', 'e1'))!.failure!;
      expect(failure).toMatchObject({ type: PlatformFailureType.HistoryLimitExceeded, non_retryable: true, details: { history_length: 7, max_events: 8 } });
      expect(failure.message).toMatch(/WORKFLOWS_HISTORY_MAX_EVENTS/);
      expect(failure.message).toMatch(/continueAsNew/);
      expect(await store.claimTasks(claimOf(s, T0 + 10))).toEqual([]);
      expect(await store.expireTimeouts(T0 + 5000, 10)).toEqual({ fired: 0, released: [] });
    });

    it('still apply a completion that closes the run, continue-as-new included, past the hard limit', async () => {
      const store = current();
      await start(store, 'a', 'e1');
      for (let i = 0; i < 7; i++) await signal(store, 'a', 'e1', T0 + 1 + i); // 8 events
      const task = await claimWorkflowTask(store, s, T0 + 9);
      const outcome = await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 10), commands: [continueAsNew({ carried: true })], historyLimits: limits });
      expect(outcome.closed?.status).toBe(ExecutionStatus.ContinuedAsNew);
      expect(await store.getExecution('a', 'e1')).toMatchObject({ status: ExecutionStatus.Running, input: { carried: true }, lastEventId: 1 });
    });
  });
}
