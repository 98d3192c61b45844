import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { CommandType, EventType, ExecutionStatus, type ActivityTaskWire, type RetryPolicyWire, type TaskWire, type WorkflowTaskWire } from '#workflows/protocol';
import { TaskMatcher } from '../matching/task.matcher.js';
import { STORE } from '../platform.constants.js';
import type { Store } from '../store/store.interface.js';
import { PlatformTestHarness, registration, until } from '../testing/platform-test.harness.js';

const retry: RetryPolicyWire = { initial_interval_ms: 10, backoff_coefficient: 2, maximum_interval_ms: 100, maximum_attempts: 3, non_retryable_error_types: [] };
const scheduleActivity = (id: number) => ({
  type: CommandType.ScheduleActivity,
  activity_id: id,
  activity_name: 'act',
  input: [id],
  start_to_close_timeout_ms: 10_000,
  schedule_to_start_timeout_ms: 0,
  schedule_to_close_timeout_ms: 0,
  heartbeat_timeout_ms: 0,
  retry,
});

describe('the worker protocol, by hand over HTTP', () => {
  let h: PlatformTestHarness;
  let workerId: string;
  beforeEach(async () => {
    h = await PlatformTestHarness.start();
    const registered = await h.call('POST', '/v1/workflows/workers/register', { body: registration() });
    expect(registered.status).toBe(201);
    workerId = registered.body.worker_id;
  });
  afterEach(async () => {
    await h.close();
  });

  const poll = async (slots: { wf?: number; act?: number } = {}, waitMs = 0): Promise<TaskWire[]> => {
    const response = await h.call('POST', '/v1/workflows/tasks/poll', {
      body: { worker_id: workerId, wait_ms: waitMs, max_workflow_tasks: slots.wf ?? 1, max_activity_tasks: slots.act ?? 1 },
    });
    expect(response.status).toBe(200);
    return response.body.tasks;
  };
  const complete = (body: Record<string, unknown>) => h.call('POST', '/v1/workflows/tasks/complete', { body: { worker_id: workerId, ...body } });

  it('runs an execution from start to result: register, execute, poll, complete, in order', async () => {
    expect((await h.call('GET', '/v1/workflows/wf')).body).toEqual({
      name: 'wf',
      deployments: ['blue'],
      active: true,
      input_schema: null,
      signals: [],
      queries: [],
      updates: [],
    });
    const started = await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'order-1', input: { amount: 3 } } });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ execution_id: 'order-1', workflow_name: 'wf', status: ExecutionStatus.Running, root_execution_id: 'order-1', end_time: null });
    let waiting: ReturnType<typeof h.call> | undefined;

    for (const executionId of ['order-1', 'order-2']) {
      // The second execution is started with wait_for_result: its request is answered when it closes.
      if (executionId === 'order-2') {
        waiting = h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'order-2', wait_for_result: true, timeout_seconds: 30 } });
      }
      let [task] = (await poll({ wf: 1, act: 0 }, 5000)) as WorkflowTaskWire[];
      expect(task).toMatchObject({ kind: 'workflow', execution_id: executionId, attempt: 1 });
      expect(task!.history.map((e) => e.event_type)).toEqual([EventType.WorkflowExecutionStarted]);
      expect((await complete({ task_token: task!.task_token, commands: [scheduleActivity(1)] })).body).toEqual({ tasks: [] });

      const [activity] = (await poll({ wf: 0, act: 1 })) as ActivityTaskWire[];
      expect(activity).toMatchObject({ kind: 'activity', execution_id: executionId, activity_name: 'act', input: [1], attempt: 1, scheduled_event_id: 3 });
      expect((await complete({ task_token: activity!.task_token, result: 'charged' })).status).toBe(200);

      [task] = (await poll({ wf: 1, act: 0 })) as WorkflowTaskWire[];
      expect(task!.history.map((e) => e.event_type)).toContain(EventType.ActivityTaskCompleted);
      expect((await complete({ task_token: task!.task_token, commands: [{ type: CommandType.CompleteWorkflow, result: { ok: executionId } }] })).status).toBe(200);

      // A retried completion (the first answer was lost) is answered as done and changes nothing.
      const again = await complete({ task_token: activity!.task_token, result: 'again' });
      expect({ status: again.status, body: again.body }).toEqual({ status: 200, body: { tasks: [] } });
    }

    const execution = await h.call('GET', '/v1/workflows/executions/order-1');
    expect(execution.body).toMatchObject({ status: ExecutionStatus.Completed, result: { ok: 'order-1' } });
    expect(execution.body.total_duration_ms).toBeGreaterThanOrEqual(0);
    const history = await h.call('GET', '/v1/workflows/executions/order-1/history');
    expect(history.body.events.map((e: { event_type: string }) => e.event_type)).toEqual([
      EventType.WorkflowExecutionStarted,
      EventType.WorkflowTaskCompleted,
      EventType.ActivityTaskScheduled,
      EventType.ActivityTaskStarted,
      EventType.ActivityTaskCompleted,
      EventType.WorkflowTaskCompleted,
      EventType.WorkflowExecutionCompleted,
    ]);
    expect(history.body.next_page_token).toBeNull();
    const waited = await waiting!;
    expect(waited.status).toBe(200);
    expect(waited.body).toMatchObject({ execution_id: 'order-2', status: ExecutionStatus.Completed, result: { ok: 'order-2' } });
  });

  it('answers 409 to a stale token and changes nothing', async () => {
    await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'e1' } });
    const [task] = await poll();
    const stale = task!.task_token.replace(/\.1$/, '.2');
    const response = await complete({ task_token: stale, commands: [] });
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('WF_TASK_TOKEN_STALE');
    const history = await h.call('GET', '/v1/workflows/executions/e1/history');
    expect(history.body.events).toHaveLength(1);
    expect((await complete({ task_token: task!.task_token, commands: [] })).status).toBe(200);
  });

  it('refuses a second start of the same execution id, naming the run', async () => {
    const first = await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'dup' } });
    const second = await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'dup' } });
    expect(second.status).toBe(409);
    expect(second.body).toEqual({ code: 'WF_EXECUTION_ALREADY_STARTED', detail: expect.stringContaining(first.body.run_id) });
  });

  it('hands the activities a completion scheduled back in the same response when asked (eager dispatch)', async () => {
    await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'eager' } });
    const [task] = await poll();
    const response = await complete({
      task_token: task!.task_token,
      commands: [scheduleActivity(1), scheduleActivity(2)],
      next: { max_workflow_tasks: 0, max_activity_tasks: 5 },
    });
    expect(response.body.tasks.map((t: ActivityTaskWire) => [t.kind, t.activity_id])).toEqual([['activity', 1], ['activity', 2]]);
    expect(await poll({ wf: 1, act: 5 })).toEqual([]);
  });

  it('sends a run its holder answered only the new events, and pages the whole history to a worker that asks (tasks/history)', async () => {
    await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'held' } });
    const [task] = await poll();
    const scheduled = await complete({ task_token: task!.task_token, commands: [scheduleActivity(1)], next: { max_workflow_tasks: 0, max_activity_tasks: 1 } });
    const [activity] = scheduled.body.tasks as ActivityTaskWire[];
    const finished = await complete({ task_token: activity!.task_token, result: 'ok', next: { max_workflow_tasks: 1, max_activity_tasks: 0 } });
    const [next] = finished.body.tasks as WorkflowTaskWire[];
    expect(next).toMatchObject({ kind: 'workflow', history_after_event_id: 1, history_length: 5 });
    expect(next!.history.map((e) => e.event_id)).toEqual([2, 3, 4, 5]);

    const page = (after: number, size: number) =>
      h.call('POST', '/v1/workflows/tasks/history', { body: { worker_id: workerId, execution_id: 'held', run_id: next!.run_id, after_event_id: after, page_size: size } });
    expect((await page(0, 2)).body.history.map((e: { event_id: number }) => e.event_id)).toEqual([1, 2]);
    expect((await page(2, 10)).body.history.map((e: { event_id: number }) => e.event_id)).toEqual([3, 4, 5]);
    expect((await page(0, 0)).body).toMatchObject({ code: 'WF_REQUEST_INVALID', detail: expect.stringContaining('page_size') });
    const unknown = await h.call('POST', '/v1/workflows/tasks/history', { body: { worker_id: workerId, execution_id: 'held', run_id: 'nope' } });
    expect({ status: unknown.status, code: unknown.body.code }).toEqual({ status: 404, code: 'WF_EXECUTION_NOT_FOUND' });
    const stranger = await h.call('POST', '/v1/workflows/tasks/history', { body: { worker_id: 'nobody', execution_id: 'held', run_id: next!.run_id } });
    expect(stranger.status).toBe(404);
  });

  it('takes back at once a task a stopping worker will not start: next attempt, no failure recorded (tasks/release)', async () => {
    await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'handed-back' } });
    const [task] = await poll();
    const release = (tokens: unknown) => h.call('POST', '/v1/workflows/tasks/release', { body: { worker_id: workerId, task_tokens: tokens } });
    expect((await release(['not-a-token'])).body).toMatchObject({ code: 'WF_TASK_TOKEN_INVALID', detail: expect.stringContaining('task_tokens[0]') });
    expect((await release([task!.task_token])).body).toEqual({ released: 1 });
    // A token no longer leased to the worker is ignored.
    expect((await release([task!.task_token])).body).toEqual({ released: 0 });
    const [again] = await poll();
    expect(again).toMatchObject({ execution_id: 'handed-back', attempt: 2 });
    const history = await h.call('GET', '/v1/workflows/executions/handed-back/history');
    expect(history.body.events.map((e: { event_type: string }) => e.event_type)).toEqual([EventType.WorkflowExecutionStarted]);
  });

  it('hands a new execution\'s workflow task to a waiting poll in the start\'s own transaction (sync match), without a claim', async () => {
    const held = poll({ wf: 1, act: 1 }, 20_000);
    await until(() => h.platform.app.get(TaskMatcher).waitingCount('alpha') === 1, 'the poll waits');
    const store = h.platform.app.get<Store>(STORE);
    const claims = jest.spyOn(store, 'claimTasks');
    await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'wake' } });
    expect((await held).map((t) => t.execution_id)).toEqual(['wake']);
    expect(claims).not.toHaveBeenCalled();
    claims.mockRestore();
  });

  it('wakes a waiting poll when a retry becomes visible', async () => {
    await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'retry' } });
    const [task] = await poll();
    await complete({ task_token: task!.task_token, commands: [scheduleActivity(1)] });
    const [activity] = await poll({ wf: 0, act: 1 });
    const failed = await h.call('POST', '/v1/workflows/tasks/fail', {
      body: { worker_id: workerId, task_token: activity!.task_token, failure: { type: 'Error', message: 'flaky' } },
    });
    expect(failed.body).toEqual({ tasks: [] });
    const [again] = (await poll({ wf: 0, act: 1 }, 10_000)) as ActivityTaskWire[];
    expect(again).toMatchObject({ activity_id: 1, attempt: 2 });
  });

  it('answers an empty poll at the end of its wait', async () => {
    expect(await poll({ wf: 1, act: 1 }, 50)).toEqual([]);
  });

  it('claims nothing for a poll whose client went away', async () => {
    const matcher = h.platform.app.get(TaskMatcher);
    const controller = new AbortController();
    const gone = h
      .call('POST', '/v1/workflows/tasks/poll', {
        body: { worker_id: workerId, wait_ms: 20_000, max_workflow_tasks: 1, max_activity_tasks: 1 },
        signal: controller.signal,
      })
      .catch((error: unknown) => error);
    await until(() => matcher.waitingCount('alpha') === 1, 'the poll waits');
    controller.abort();
    await gone;
    await until(() => matcher.waitingCount('alpha') === 0, 'the server drops the waiter');
    await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'after-disconnect' } });
    expect((await poll()).map((t) => [t.execution_id, t.attempt])).toEqual([['after-disconnect', 1]]);
  });

  it('answers wait_for_result with the running execution when the timeout passes first', async () => {
    const response = await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'slow', wait_for_result: true, timeout_seconds: 1 } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ execution_id: 'slow', status: ExecutionStatus.Running });
  });

  it('holds GET execution with wait_seconds until the execution closes', async () => {
    await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'held' } });
    const held = h.call('GET', '/v1/workflows/executions/held?wait_seconds=30');
    const [task] = await poll();
    const failure = { type: 'Broken', message: 'no' };
    await complete({ task_token: task!.task_token, commands: [{ type: CommandType.FailWorkflow, failure }] });
    expect((await held).body).toMatchObject({ status: ExecutionStatus.Failed, failure });
  });

  it('keeps a heartbeating session and forgets an unknown one', async () => {
    expect((await h.call('POST', `/v1/workflows/workers/${workerId}/heartbeat`, { body: {} })).body).toEqual({ ok: true });
    const unknown = await h.call('POST', '/v1/workflows/workers/nobody/heartbeat', { body: {} });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('WF_WORKER_SESSION_NOT_FOUND');
  });

  it('lists runs newest first, filtered by status, in pages', async () => {
    for (const id of ['r1', 'r2', 'r3']) await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: id } });
    const first = await h.call('GET', '/v1/workflows/runs?page_size=2&status=RUNNING&workflow_identifier=wf');
    expect(first.body.executions).toHaveLength(2);
    const second = await h.call('GET', `/v1/workflows/runs?page_size=2&status=RUNNING&next_page_token=${first.body.next_page_token}`);
    const ids = [...first.body.executions, ...second.body.executions].map((e: { execution_id: string }) => e.execution_id);
    expect(ids.sort()).toEqual(['r1', 'r2', 'r3']);
    expect(second.body.next_page_token).toBeNull();
    expect((await h.call('GET', '/v1/workflows/runs?status=COMPLETED')).body).toEqual({ executions: [], next_page_token: null });
  });
});
