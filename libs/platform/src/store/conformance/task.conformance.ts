import { beforeEach, describe, expect, it } from '@jest/globals';
import { CommandType, ErrorCode, EventType, ExecutionStatus, formatTaskToken, parseTaskToken, type Command } from '#workflows/protocol';
import type { Store } from '../store.interface.js';
import {
  RETRY,
  T0,
  callerOf,
  claimActivityTasks,
  claimOf,
  claimWorkflowTask,
  complete,
  eventTypes,
  expectCode,
  schedule,
  session,
  start, stickyWorkflowTask } from './conformance.fixtures.js';
import { describeChildWorkflowConformance } from './child-workflow.conformance.js';
import { describeContinueAsNewConformance } from './continue-as-new.conformance.js';
import { describeEagerDispatchConformance } from './eager-dispatch.conformance.js';
import { describeInteractionConformance } from './interaction.conformance.js';
import { describeLeaseExpiryConformance } from './lease-expiry.conformance.js';
import { describeQueryConformance } from './query.conformance.js';
import { describeRetryConformance } from './retry.conformance.js';
import { describeTimeoutConformance } from './timeout.conformance.js';
import { describeTimerConformance } from './timer.conformance.js';
import { STICKY_TIMEOUT_MS } from '../task-transition.rules.js';

const E = EventType;

/** The task part of the conformance suite: claiming, tokens, completions. */
export function describeTaskConformance(current: () => Store): void {
  const s = session('a');
  let store: Store;
  beforeEach(async () => {
    store = current();
    await store.openWorkerSession(s);
  });

  /** Starts `e1`, leases its workflow task and completes it with `commands`. */
  async function startAndComplete(commands: Command[], id = 'e1') {
    await start(store, 'a', id);
    const task = await claimWorkflowTask(store, s, T0 + 1);
    return store.completeWorkflowTask({ ...callerOf(s, task, T0 + 2), commands });
  }

  describe('claiming', () => {
    it('leases a workflow task with the full history and a token, once', async () => {
      await start(store, 'a', 'e1');
      const task = await claimWorkflowTask(store, s, T0 + 1);
      expect(task).toMatchObject({ kind: 'workflow', execution_id: 'e1', run_id: 'run-a-e1', workflow_name: 'wf', attempt: 1 });
      expect(parseTaskToken(task.task_token)).toMatchObject({ kind: 'workflow', attempt: 1 });
      expect(task.history.map((e) => e.event_type)).toEqual([E.WorkflowExecutionStarted]);
      expect(await store.claimTasks(claimOf(s, T0 + 2))).toEqual([]);
    });

    it('leases the oldest visible tasks first, up to the asked number', async () => {
      for (const [i, at] of [3, 1, 2].entries()) await start(store, 'a', `e${i}`, T0 + at);
      expect(await store.claimTasks(claimOf(s, T0, { maxWorkflowTasks: 5 }))).toEqual([]);
      const first = await store.claimTasks(claimOf(s, T0 + 5, { maxWorkflowTasks: 2 }));
      expect(first.map((t) => t.execution_id)).toEqual(['e1', 'e2']);
      expect((await store.claimTasks(claimOf(s, T0 + 5))).map((t) => t.execution_id)).toEqual(['e0']);
    });

    it('takes only names the session runs, and only its own or unpinned deployments', async () => {
      await store.startExecution({ namespace: 'a', executionId: 'x', runId: 'rx', workflowName: 'unknown', deploymentName: null, input: null, now: T0 });
      await start(store, 'a', 'green', T0, 'green');
      await start(store, 'a', 'blue', T0, 'blue');
      await start(store, 'a', 'any', T0, null);
      const tasks = await store.claimTasks(claimOf(s, T0 + 1));
      expect(tasks.map((t) => t.execution_id).sort()).toEqual(['any', 'blue']);
      expect(await store.claimTasks(claimOf(s, T0 + 1, { workflowNames: ['nothing'] }))).toEqual([]);
      const green = session('a', { workerId: 'g', deploymentName: 'green' });
      await store.openWorkerSession(green);
      expect((await store.claimTasks(claimOf(green, T0 + 1))).map((t) => t.execution_id)).toEqual(['green']);
    });

    it("never leases another namespace's tasks", async () => {
      await start(store, 'a', 'e1');
      const b = session('b');
      await store.openWorkerSession(b);
      expect(await store.claimTasks(claimOf(b, T0 + 1))).toEqual([]);
      expect(await store.claimTasks(claimOf(s, T0 + 1))).toHaveLength(1);
    });

    it('records ACTIVITY_TASK_STARTED when an activity task is leased', async () => {
      await startAndComplete([schedule(1)]);
      const [activity] = await claimActivityTasks(store, s, T0 + 3);
      expect(activity).toMatchObject({
        kind: 'activity',
        execution_id: 'e1',
        workflow_name: 'wf',
        activity_id: 1,
        activity_name: 'act',
        scheduled_event_id: 3,
        input: [1],
        attempt: 1,
        start_to_close_timeout_ms: 30_000,
        heartbeat_timeout_ms: 0,
        heartbeat_details: null,
      });
      const history = await store.readHistory('a', 'e1', 3, 10);
      expect(history).toEqual([
        {
          event_id: 4,
          event_type: E.ActivityTaskStarted,
          event_timestamp: new Date(T0 + 3).toISOString(),
          attributes: { scheduled_event_id: 3, activity_id: 1, attempt: 1, worker_name: s.workerName },
        },
      ]);
    });
  });

  describe('task tokens', () => {
    it('rejects unknown, foreign, stale and superseded tokens and changes nothing', async () => {
      await start(store, 'a', 'e1');
      const task = await claimWorkflowTask(store, s, T0 + 1);
      const token = parseTaskToken(task.task_token)!;
      const other = session('b', { workerId: s.workerId });
      const attempts: [Parameters<Store['completeWorkflowTask']>[0], ErrorCode][] = [
        [{ ...callerOf(s, formatTaskToken({ ...token, taskId: token.taskId + 1000 }), T0 + 2), commands: [] }, ErrorCode.TaskNotFound],
        [{ ...callerOf(other, task, T0 + 2), commands: [] }, ErrorCode.TaskNotFound],
        [{ ...callerOf(s, formatTaskToken({ ...token, kind: 'activity' }), T0 + 2), commands: [] }, ErrorCode.TaskNotFound],
        [{ ...callerOf(s, formatTaskToken({ ...token, attempt: 2 }), T0 + 2), commands: [] }, ErrorCode.TaskTokenStale],
        [{ ...callerOf(s, task, T0 + 2), workerId: 'someone-else', commands: [] }, ErrorCode.TaskTokenStale],
      ];
      for (const [completion, code] of attempts) {
        await expectCode(store.completeWorkflowTask(completion), code);
        await expectCode(store.failWorkflowTask({ ...completion, failure: { type: 'E', message: 'm' }, retryDelayMs: 0 }), code);
      }
      expect(await eventTypes(store, 'a', 'e1')).toEqual([E.WorkflowExecutionStarted]);
      await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 2), commands: [complete()] });
      // The same token again is a retried completion (answered as done), any other is stale.
      expect(await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 3), commands: [] })).toEqual({ tasks: [], duplicate: true });
      await expectCode(store.completeWorkflowTask({ ...callerOf(s, task, T0 + 3), workerId: 'someone-else', commands: [] }), ErrorCode.TaskTokenStale);
      expect(await eventTypes(store, 'a', 'e1')).toEqual([E.WorkflowExecutionStarted, E.WorkflowTaskCompleted, E.WorkflowExecutionCompleted]);
    });

    it('rejects a token whose task is queued again, even at its new attempt', async () => {
      await start(store, 'a', 'e1');
      const task = await claimWorkflowTask(store, s, T0 + 1);
      await store.failWorkflowTask({ ...callerOf(s, task, T0 + 2), failure: { type: 'E', message: 'm' }, retryDelayMs: 100 });
      const next = formatTaskToken({ ...parseTaskToken(task.task_token)!, attempt: 2 });
      await expectCode(store.completeWorkflowTask({ ...callerOf(s, task, T0 + 3), commands: [] }), ErrorCode.TaskTokenStale);
      await expectCode(store.completeWorkflowTask({ ...callerOf(s, next, T0 + 3), commands: [] }), ErrorCode.TaskTokenStale);
      expect(await eventTypes(store, 'a', 'e1')).toEqual([E.WorkflowExecutionStarted, E.WorkflowTaskFailed]);
    });

    it('rejects an activity token used by another worker and records nothing', async () => {
      await startAndComplete([schedule(1)]);
      const [activity] = await claimActivityTasks(store, s, T0 + 3);
      const before = await eventTypes(store, 'a', 'e1');
      await expectCode(store.completeActivityTask({ ...callerOf(s, activity!, T0 + 4), workerId: 'zombie', result: 1 }), ErrorCode.TaskTokenStale);
      await expectCode(store.failActivityTask({ ...callerOf(s, activity!, T0 + 4), workerId: 'zombie', failure: { type: 'E', message: 'm' } }), ErrorCode.TaskTokenStale);
      expect(await eventTypes(store, 'a', 'e1')).toEqual(before);
    });
  });

  describe('workflow task completion', () => {
    it('records WORKFLOW_TASK_COMPLETED then one event per command, and queues the activities', async () => {
      const outcome = await startAndComplete([schedule(1), schedule(2, 'other')]);
      expect(outcome).toEqual({
        tasks: [
          { kind: 'activity', name: 'act', deploymentName: null, visibleAt: T0 + 2 },
          { kind: 'activity', name: 'other', deploymentName: null, visibleAt: T0 + 2 },
        ],
      });
      const history = (await store.readHistory('a', 'e1', 0, 100))!;
      expect(history.map((e) => e.event_type)).toEqual([E.WorkflowExecutionStarted, E.WorkflowTaskCompleted, E.ActivityTaskScheduled, E.ActivityTaskScheduled]);
      expect(history[1]!.attributes).toEqual({ last_seen_event_id: 1, worker_name: s.workerName, attempt: 1 });
      expect(history[3]!.attributes).toEqual({ activity_id: 2, activity_name: 'other', input: [2],
        start_to_close_timeout_ms: 30_000,
        schedule_to_start_timeout_ms: 0,
        schedule_to_close_timeout_ms: 0,
        heartbeat_timeout_ms: 0,
        retry: RETRY,
      });
      expect((await claimActivityTasks(store, s, T0 + 3)).map((t) => t.activity_id)).toEqual([1]);
    });

    it('closes the execution on COMPLETE_WORKFLOW and drops its remaining tasks', async () => {
      await startAndComplete([schedule(1), schedule(2)]);
      const [a1] = await claimActivityTasks(store, s, T0 + 3, 1);
      await store.completeActivityTask({ ...callerOf(s, a1!, T0 + 4), result: 'one' });
      const task = await claimWorkflowTask(store, s, T0 + 5);
      const outcome = await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 6), commands: [complete({ ok: true })] });
      expect(outcome).toEqual({ tasks: [], closed: { executionId: 'e1', status: ExecutionStatus.Completed } });
      expect(await store.getExecution('a', 'e1')).toMatchObject({ status: ExecutionStatus.Completed, result: { ok: true }, endTime: T0 + 6, failure: null });
      expect(await store.claimTasks(claimOf(s, T0 + 7))).toEqual([]);
      const types = await eventTypes(store, 'a', 'e1');
      expect(types[types.length - 1]).toBe(E.WorkflowExecutionCompleted);
    });

    it('closes the execution as FAILED on FAIL_WORKFLOW', async () => {
      const failure = { type: 'Boom', message: 'no' };
      const outcome = await startAndComplete([{ type: CommandType.FailWorkflow, failure }]);
      expect(outcome.closed).toEqual({ executionId: 'e1', status: ExecutionStatus.Failed });
      expect(await store.getExecution('a', 'e1')).toMatchObject({ status: ExecutionStatus.Failed, failure, result: null, endTime: T0 + 2 });
      expect(await eventTypes(store, 'a', 'e1')).toEqual([E.WorkflowExecutionStarted, E.WorkflowTaskCompleted, E.WorkflowExecutionFailed]);
    });

    it('accepts no event after the terminal one: a leased activity of the closed run is stale', async () => {
      await startAndComplete([schedule(1), schedule(2)]);
      const [a1, a2] = await claimActivityTasks(store, s, T0 + 3);
      await store.completeActivityTask({ ...callerOf(s, a1!, T0 + 4), result: 1 });
      const task = await claimWorkflowTask(store, s, T0 + 5);
      await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 6), commands: [complete()] });
      const closed = await eventTypes(store, 'a', 'e1');
      await expectCode(store.completeActivityTask({ ...callerOf(s, a2!, T0 + 7), result: 2 }), ErrorCode.TaskTokenStale);
      await expectCode(store.failActivityTask({ ...callerOf(s, a2!, T0 + 7), failure: { type: 'E', message: 'm' } }), ErrorCode.TaskTokenStale);
      expect(await store.expireLeases(T0 + 100_000)).toEqual([]);
      expect((await store.expireTimeouts(T0 + 100_000, 10)).fired).toBe(0);
      expect(await eventTypes(store, 'a', 'e1')).toEqual(closed);
    });

    it('rejects invalid commands naming their index, and changes nothing', async () => {
      await startAndComplete([schedule(1)]);
      const [a1] = await claimActivityTasks(store, s, T0 + 3);
      await store.completeActivityTask({ ...callerOf(s, a1!, T0 + 4), result: 1 });
      const task = await claimWorkflowTask(store, s, T0 + 5);
      const before = await eventTypes(store, 'a', 'e1');
      const invalid: [Command[], RegExp][] = [
        [[schedule(2), schedule(2)], /commands\[1\].*activity_id 2/],
        [[schedule(1)], /commands\[0\].*activity_id 1/],
        [[complete(), schedule(3)], /commands\[1\].*after/],
        [[{ type: 'NOPE' } as unknown as Command], /commands\[0\].*NOPE/],
      ];
      for (const [commands, detail] of invalid) {
        await expectCode(store.completeWorkflowTask({ ...callerOf(s, task, T0 + 6), commands }), ErrorCode.RequestInvalid, detail);
      }
      expect(await eventTypes(store, 'a', 'e1')).toEqual(before);
      await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 6), commands: [complete()] });
      expect((await store.getExecution('a', 'e1'))?.status).toBe(ExecutionStatus.Completed);
    });
  });

  describe('sticky execution', () => {
    const other = session('a', { workerId: 'worker-b', workerName: 'host-b' });
    /** `s` answered e1's first task (scheduling an activity), which then completed: the next workflow task is e1's second. */
    async function secondTaskQueued(): Promise<void> {
      await store.openWorkerSession(other);
      await startAndComplete([schedule(1)]);
      const [activity] = await claimActivityTasks(store, s, T0 + 3);
      await store.completeActivityTask({ ...callerOf(s, activity!, T0 + 4), result: 1 });
    }

    it('offers the next workflow task to the worker that answered the last one, and to any worker after the sticky timeout', async () => {
      await secondTaskQueued();
      expect(await store.claimTasks(claimOf(other, T0 + 5))).toEqual([]);
      expect(await store.claimTasks(claimOf(other, T0 + 4 + STICKY_TIMEOUT_MS - 1))).toEqual([]);
      const late = await store.claimTasks(claimOf(other, T0 + 4 + STICKY_TIMEOUT_MS));
      expect(late.map((task) => [task.kind, task.execution_id])).toEqual([['workflow', 'e1']]);
    });

    it('lets the worker that holds the run take it at once', async () => {
      await secondTaskQueued();
      expect((await claimWorkflowTask(store, s, T0 + 5)).execution_id).toBe('e1');
    });

    it('gives it to any worker at once when the holder shuts down', async () => {
      await secondTaskQueued();
      const shutdown = await store.shutdownWorkerSession('a', s.workerId, T0 + 5);
      // Offered again to everyone (the matching layer wakes other polls for it).
      expect(shutdown!.tasks).toEqual([{ kind: 'workflow', name: 'wf', deploymentName: null, visibleAt: T0 + 4 }]);
      expect((await claimWorkflowTask(store, other, T0 + 6)).execution_id).toBe('e1');
    });

    it('gives it to any worker at the lease sweep once the holder stopped heartbeating', async () => {
      await secondTaskQueued();
      // The task is sticky to s until T0 + 4 + STICKY_TIMEOUT_MS; s stops heartbeating and its session ends at T0 + 100.
      await store.touchWorkerSession('a', s.workerId, T0 + 5, T0 + 100);
      expect(await store.expireLeases(T0 + 99)).toEqual([]);
      const sweep = await store.expireLeases(T0 + 100);
      expect(sweep).toEqual([{ namespace: 'a', tasks: [{ kind: 'workflow', name: 'wf', deploymentName: null, visibleAt: T0 + 4 }] }]);
      expect(await store.expireLeases(T0 + 101)).toEqual([]);
      expect((await claimWorkflowTask(store, other, T0 + 101)).execution_id).toBe('e1');
    });

    it('makes a new workflow task sticky only while its holder is live', async () => {
      await secondTaskQueued();
      const task = await claimWorkflowTask(store, s, T0 + 5);
      await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 6), commands: [schedule(2)] });
      const [activity] = await claimActivityTasks(store, other, T0 + 7);
      // The holder's session expires (no heartbeat) before the activity completes.
      const outcome = await store.completeActivityTask({ ...callerOf(other, activity!, s.expiresAt + 1), result: 2 });
      expect(outcome.tasks).toEqual([{ kind: 'workflow', name: 'wf', deploymentName: null, visibleAt: s.expiresAt + 1 }]);
    });

    it('is not kept after a failed attempt: the retry goes to any worker', async () => {
      await secondTaskQueued();
      const task = await claimWorkflowTask(store, s, T0 + 5);
      const outcome = await store.failWorkflowTask({ ...callerOf(s, task, T0 + 6), failure: { type: 'NonDeterminismError', message: 'changed' }, retryDelayMs: 0 });
      expect(outcome.tasks).toEqual([{ kind: 'workflow', name: 'wf', deploymentName: null, visibleAt: T0 + 6 }]);
      expect((await claimWorkflowTask(store, other, T0 + 7)).attempt).toBe(2);
    });
  });

  describe('one workflow task per execution', () => {
    it('does not queue a second workflow task while one is leased, and queues it when that one completes', async () => {
      await startAndComplete([schedule(1), schedule(2)]);
      const [a1, a2] = await claimActivityTasks(store, s, T0 + 3);
      const first = await store.completeActivityTask({ ...callerOf(s, a1!, T0 + 4), result: 1 });
      expect(first.tasks).toEqual([stickyWorkflowTask(s, T0 + 4)]);
      const task = await claimWorkflowTask(store, s, T0 + 5);
      const lastSeen = task.history[task.history.length - 1]!.event_id;
      expect((await store.completeActivityTask({ ...callerOf(s, a2!, T0 + 6), result: 2 })).tasks).toEqual([]);
      expect(await store.claimTasks(claimOf(s, T0 + 7))).toEqual([]);
      const outcome = await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 8), commands: [] });
      expect(outcome.tasks).toEqual([stickyWorkflowTask(s, T0 + 8)]);
      const next = await claimWorkflowTask(store, s, T0 + 9);
      // Its holder is sent only the events it has not seen (incremental history).
      expect(next.history_after_event_id).toBe(lastSeen);
      const history = (await store.readHistory('a', 'e1', 0, 100))!;
      const completedEvents = history.filter((e) => e.event_type === E.ActivityTaskCompleted);
      expect(completedEvents.map((e) => e.event_id > lastSeen)).toEqual([false, true]);
      expect(next.history.map((e) => e.event_id)).toEqual(history.filter((e) => e.event_id > lastSeen).map((e) => e.event_id));
      const wtc = history.filter((e) => e.event_type === E.WorkflowTaskCompleted).pop()!;
      expect(wtc.attributes).toMatchObject({ last_seen_event_id: lastSeen });
    });

    it('does not queue a second workflow task while one is queued', async () => {
      await startAndComplete([schedule(1), schedule(2)]);
      const [a1, a2] = await claimActivityTasks(store, s, T0 + 3);
      expect((await store.completeActivityTask({ ...callerOf(s, a1!, T0 + 4), result: 1 })).tasks).toHaveLength(1);
      expect((await store.completeActivityTask({ ...callerOf(s, a2!, T0 + 5), result: 2 })).tasks).toEqual([]);
      expect(await store.claimTasks(claimOf(s, T0 + 6))).toHaveLength(1);
    });

    it('queues no workflow task when nothing was resolved during the task', async () => {
      const outcome = await startAndComplete([schedule(1)]);
      expect(outcome.tasks.map((t) => t.kind)).toEqual(['activity']);
      expect(await store.claimTasks(claimOf(s, T0 + 3, { maxActivityTasks: 0 }))).toEqual([]);
    });
  });

  describeRetryConformance(() => store, s, startAndComplete);
  describeLeaseExpiryConformance(() => store, s, startAndComplete);
  describeTimeoutConformance(() => store, s, startAndComplete);
  describeTimerConformance(() => store, s, startAndComplete);
  describeEagerDispatchConformance(current);
  describeInteractionConformance(() => store, s, startAndComplete);
  describeQueryConformance(() => store, s, startAndComplete);
  describeContinueAsNewConformance(() => store, s, startAndComplete);
  describe('child workflows', () => describeChildWorkflowConformance(() => store, s));
}
