import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { CommandType, EventType, type ActivityTaskWire, type TaskWire } from '#workflows/protocol';
import { KEY_B, ManualClock, PlatformTestHarness, registration } from '../testing/platform-test.harness.js';
import { TimeoutsSweeper } from '../workers/timeouts.sweeper.js';

const retry = { initial_interval_ms: 100, backoff_coefficient: 2, maximum_interval_ms: 1000, maximum_attempts: 5, non_retryable_error_types: [] };

describe('activity heartbeats and platform timeouts, over HTTP with platform time in hand', () => {
  let h: PlatformTestHarness;
  let clock: ManualClock;
  let workerId: string;
  beforeEach(async () => {
    clock = new ManualClock();
    h = await PlatformTestHarness.start({ clock, workflowTaskTimeoutMs: 1000 });
    workerId = (await h.call('POST', '/v1/workflows/workers/register', { body: registration() })).body.worker_id;
  });
  afterEach(async () => {
    await h.close();
  });

  const poll = async (wf: number, act: number): Promise<TaskWire[]> =>
    (await h.call('POST', '/v1/workflows/tasks/poll', { body: { worker_id: workerId, wait_ms: 0, max_workflow_tasks: wf, max_activity_tasks: act } })).body.tasks;
  const heartbeat = (body: Record<string, unknown>, key?: string) => h.call('POST', '/v1/workflows/tasks/heartbeat', { body: { worker_id: workerId, ...body }, ...(key ? { key } : {}) });
  const sweepAfter = async (ms: number) => {
    clock.advance(ms);
    await h.platform.app.get(TimeoutsSweeper).sweep();
  };
  /** Starts `e1` and schedules one activity with a 500 ms heartbeat timeout; returns its first attempt. */
  const startActivity = async (): Promise<ActivityTaskWire> => {
    await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'e1' } });
    const [task] = await poll(1, 0);
    const command = {
      type: CommandType.ScheduleActivity,
      activity_id: 1,
      activity_name: 'act',
      input: [],
      start_to_close_timeout_ms: 60_000,
      schedule_to_start_timeout_ms: 0,
      schedule_to_close_timeout_ms: 0,
      heartbeat_timeout_ms: 500,
      retry,
    };
    expect((await h.call('POST', '/v1/workflows/tasks/complete', { body: { worker_id: workerId, task_token: task!.task_token, commands: [command] } })).status).toBe(200);
    const [activity] = (await poll(0, 1)) as ActivityTaskWire[];
    expect(activity).toMatchObject({ attempt: 1, heartbeat_timeout_ms: 500, heartbeat_details: null });
    return activity!;
  };

  it('keeps a heartbeating attempt alive, times out a silent one, and gives the next attempt the last details', async () => {
    const first = await startActivity();
    for (const step of [1, 2, 3]) {
      clock.advance(400);
      const answer = await heartbeat({ task_token: first.task_token, details: { step } });
      expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: { cancel_requested: false } });
      await h.platform.app.get(TimeoutsSweeper).sweep();
    }
    await sweepAfter(500);
    const stale = await heartbeat({ task_token: first.task_token, details: { step: 4 } });
    expect({ status: stale.status, code: stale.body.code }).toEqual({ status: 409, code: 'WF_TASK_TOKEN_STALE' });
    clock.advance(100);
    const [second] = (await poll(0, 1)) as ActivityTaskWire[];
    expect(second).toMatchObject({ attempt: 2, heartbeat_details: { step: 3 } });
    const history = await h.call('GET', '/v1/workflows/executions/e1/history');
    const retrying = history.body.events.find((e: { event_type: string }) => e.event_type === EventType.ActivityTaskRetrying);
    expect(retrying.attributes.failure).toMatchObject({ type: 'ActivityTimeout', details: { timeout_type: 'HEARTBEAT' } });
  });

  it('answers 409 to a superseded token, 404 to an unknown or foreign task, and 422 to a workflow task token', async () => {
    const first = await startActivity();
    const superseded = first.task_token.replace(/\.1$/, '.2');
    expect((await heartbeat({ task_token: superseded })).body.code).toBe('WF_TASK_TOKEN_STALE');
    expect((await heartbeat({ task_token: 'a999999.1' })).status).toBe(404);
    const beta = (await h.call('POST', '/v1/workflows/workers/register', { body: registration(), key: KEY_B })).body.worker_id;
    const foreign = await heartbeat({ worker_id: beta, task_token: first.task_token }, KEY_B);
    expect({ status: foreign.status, code: foreign.body.code }).toEqual({ status: 404, code: 'WF_TASK_NOT_FOUND' });
    const workflowToken = await heartbeat({ task_token: 'w1.1' });
    expect({ status: workflowToken.status, code: workflowToken.body.code }).toEqual({ status: 422, code: 'WF_REQUEST_INVALID' });
    expect((await heartbeat({ task_token: first.task_token, surprise: 1 })).status).toBe(422);
    expect((await heartbeat({ task_token: first.task_token })).status).toBe(200);
  });

  it('times out a workflow task not completed within workflowTaskTimeoutMs and offers it again at once', async () => {
    await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'e1' } });
    const [first] = await poll(1, 0);
    await sweepAfter(999);
    expect(await poll(1, 0)).toEqual([]);
    await sweepAfter(1);
    expect((await poll(1, 0)).map((t) => t.attempt)).toEqual([2]);
    const late = await h.call('POST', '/v1/workflows/tasks/complete', { body: { worker_id: workerId, task_token: first!.task_token, commands: [] } });
    expect(late.status).toBe(409);
    const history = await h.call('GET', '/v1/workflows/executions/e1/history');
    expect(history.body.events.map((e: { event_type: string }) => e.event_type)).toEqual([EventType.WorkflowExecutionStarted, EventType.WorkflowTaskFailed]);
    expect(history.body.events[1].attributes.failure.type).toBe('WorkflowTaskTimeout');
  });
});
