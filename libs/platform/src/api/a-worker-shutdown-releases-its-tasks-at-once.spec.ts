import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { EventType } from '#workflows/protocol';
import { TaskMatcher } from '../matching/task.matcher.js';
import { KEY_B, ManualClock, PlatformTestHarness, registration, until } from '../testing/platform-test.harness.js';

describe('a worker that shuts down', () => {
  let h: PlatformTestHarness;
  beforeEach(async () => {
    // Platform time stands still: whatever comes back, comes back without any timeout.
    h = await PlatformTestHarness.start({ clock: new ManualClock() });
  });
  afterEach(async () => {
    await h.close();
  });

  const register = async () => (await h.call('POST', '/v1/workflows/workers/register', { body: registration() })).body.worker_id as string;
  const poll = (workerId: string, waitMs: number) =>
    h.call('POST', '/v1/workflows/tasks/poll', { body: { worker_id: workerId, wait_ms: waitMs, max_workflow_tasks: 1, max_activity_tasks: 1 } });

  it('hands its task to a waiting worker at once, with the next attempt, and its late completion is refused', async () => {
    const leaving = await register();
    await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'e1' } });
    const [task] = (await poll(leaving, 0)).body.tasks;
    const staying = await register();
    const waiting = poll(staying, 20_000);
    await until(() => h.platform.app.get(TaskMatcher).waitingCount('alpha') === 1, 'the other worker waits');

    // No `started_task_tokens` (an older worker): every task it holds counts as started.
    const shutdown = await h.call('POST', `/v1/workflows/workers/${leaving}/shutdown`, { body: {} });
    expect({ status: shutdown.status, body: shutdown.body }).toEqual({ status: 200, body: { released: 1 } });
    const taken = (await waiting).body.tasks;
    expect(taken.map((t: { execution_id: string; attempt: number }) => [t.execution_id, t.attempt])).toEqual([['e1', 2]]);

    const late = await h.call('POST', '/v1/workflows/tasks/complete', { body: { worker_id: leaving, task_token: task.task_token, commands: [] } });
    expect({ status: late.status, code: late.body.code }).toEqual({ status: 409, code: 'WF_TASK_TOKEN_STALE' });
    expect((await poll(leaving, 0)).status).toBe(404);
    expect((await h.call('POST', `/v1/workflows/workers/${leaving}/heartbeat`, { body: {} })).status).toBe(404);
    const history = await h.call('GET', '/v1/workflows/executions/e1/history');
    expect(history.body.events[1]).toMatchObject({ event_type: EventType.WorkflowTaskFailed, attributes: { attempt: 1, failure: { type: 'WorkerShutdown' } } });
  });

  it('fails only the attempts it says it started: a task it never started goes back with no failure recorded', async () => {
    const leaving = await register();
    for (const id of ['e1', 'e2']) await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: id } });
    const [ran] = (await poll(leaving, 0)).body.tasks;
    const [unseen] = (await poll(leaving, 0)).body.tasks;
    expect([ran.execution_id, unseen.execution_id]).toEqual(['e1', 'e2']);

    const shutdown = await h.call('POST', `/v1/workflows/workers/${leaving}/shutdown`, { body: { started_task_tokens: [ran.task_token] } });
    expect({ status: shutdown.status, body: shutdown.body }).toEqual({ status: 200, body: { released: 2 } });
    const types = async (id: string) => (await h.call('GET', `/v1/workflows/executions/${id}/history`)).body.events.map((e: { event_type: string }) => e.event_type);
    expect(await types('e1')).toEqual([EventType.WorkflowExecutionStarted, EventType.WorkflowTaskFailed]);
    expect(await types('e2')).toEqual([EventType.WorkflowExecutionStarted]);

    const staying = await register();
    const taken = [...(await poll(staying, 0)).body.tasks, ...(await poll(staying, 0)).body.tasks];
    expect(taken.map((t: { execution_id: string; attempt: number }) => [t.execution_id, t.attempt]).sort()).toEqual([
      ['e1', 2],
      ['e2', 2],
    ]);
    const late = await h.call('POST', '/v1/workflows/tasks/complete', { body: { worker_id: leaving, task_token: unseen.task_token, commands: [] } });
    expect({ status: late.status, code: late.body.code }).toEqual({ status: 409, code: 'WF_TASK_TOKEN_STALE' });
  });

  it.each([
    ['a list that is not an array', { started_task_tokens: 'w1.1' }, 422, 'WF_REQUEST_INVALID', 'started_task_tokens must be an array, got a string'],
    ['an item that is not a task token', { started_task_tokens: ['w1.1', 'nonsense'] }, 400, 'WF_TASK_TOKEN_INVALID', /^started_task_tokens\[1\] is not a task token/],
    ['an item that is not a string', { started_task_tokens: [7] }, 400, 'WF_TASK_TOKEN_INVALID', /^started_task_tokens\[0\] is not a task token/],
    ['an unknown field', { started: [] }, 422, 'WF_REQUEST_INVALID', 'started is not a known field'],
  ])('refuses %s, naming the field, and keeps the session and its lease', async (_what, body, status, code, detail) => {
    const leaving = await register();
    await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'e1' } });
    const [task] = (await poll(leaving, 0)).body.tasks;
    const refused = await h.call('POST', `/v1/workflows/workers/${leaving}/shutdown`, { body });
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status, code });
    expect(refused.body.detail).toMatch(detail);
    expect((await h.call('POST', `/v1/workflows/workers/${leaving}/heartbeat`, { body: {} })).status).toBe(200);
    const done = await h.call('POST', '/v1/workflows/tasks/complete', { body: { worker_id: leaving, task_token: task.task_token, commands: [] } });
    expect(done.status).toBe(200);
  });

  it('ends its own waiting polls, and answers 404 for an unknown or foreign worker', async () => {
    const leaving = await register();
    const waiting = poll(leaving, 20_000);
    await until(() => h.platform.app.get(TaskMatcher).waitingCount('alpha') === 1, 'its poll waits');
    expect((await h.call('POST', `/v1/workflows/workers/${leaving}/shutdown`, { body: {} })).body).toEqual({ released: 0 });
    expect((await waiting).body).toEqual({ tasks: [] });
    const unknown = await h.call('POST', '/v1/workflows/workers/nobody/shutdown');
    expect({ status: unknown.status, code: unknown.body.code }).toEqual({ status: 404, code: 'WF_WORKER_SESSION_NOT_FOUND' });
    const beta = (await h.call('POST', '/v1/workflows/workers/register', { body: registration(), key: KEY_B })).body.worker_id;
    expect((await h.call('POST', `/v1/workflows/workers/${beta}/shutdown`, { body: {} })).status).toBe(404);
  });
});
