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

  it('ends its own waiting polls, and answers 404 for an unknown or foreign worker', async () => {
    const leaving = await register();
    const waiting = poll(leaving, 20_000);
    await until(() => h.platform.app.get(TaskMatcher).waitingCount('alpha') === 1, 'its poll waits');
    expect((await h.call('POST', `/v1/workflows/workers/${leaving}/shutdown`, { body: {} })).body).toEqual({ released: 0 });
    expect((await waiting).body).toEqual({ tasks: [] });
    const unknown = await h.call('POST', '/v1/workflows/workers/nobody/shutdown', { body: {} });
    expect({ status: unknown.status, code: unknown.body.code }).toEqual({ status: 404, code: 'WF_WORKER_SESSION_NOT_FOUND' });
    const beta = (await h.call('POST', '/v1/workflows/workers/register', { body: registration(), key: KEY_B })).body.worker_id;
    expect((await h.call('POST', `/v1/workflows/workers/${beta}/shutdown`, { body: {} })).status).toBe(404);
  });
});
