import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { PlatformTestHarness, registration } from '../testing/platform-test.harness.js';

describe("a worker that stops heartbeating loses its tasks", () => {
  let h: PlatformTestHarness;
  beforeEach(async () => {
    h = await PlatformTestHarness.start({ heartbeatIntervalMs: 50, sessionTimeoutMs: 300 });
  });
  afterEach(async () => {
    await h.close();
  });

  it('offers its leased workflow task to another worker, and refuses the late completion', async () => {
    const register = async () => (await h.call('POST', '/v1/workflows/workers/register', { body: registration() })).body.worker_id as string;
    const dead = await register();
    await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'orphan' } });
    const leased = await h.call('POST', '/v1/workflows/tasks/poll', { body: { worker_id: dead, wait_ms: 0, max_workflow_tasks: 1, max_activity_tasks: 0 } });
    const [task] = leased.body.tasks;
    expect(task.attempt).toBe(1);

    const alive = await register();
    const taken = await h.call('POST', '/v1/workflows/tasks/poll', { body: { worker_id: alive, wait_ms: 10_000, max_workflow_tasks: 1, max_activity_tasks: 0 } });
    expect(taken.body.tasks.map((t: { execution_id: string; attempt: number }) => [t.execution_id, t.attempt])).toEqual([['orphan', 2]]);

    const late = await h.call('POST', '/v1/workflows/tasks/complete', { body: { worker_id: dead, task_token: task.task_token, commands: [] } });
    expect(late.status).toBe(409);
    expect((await h.call('POST', `/v1/workflows/workers/${dead}/heartbeat`, { body: {} })).status).toBe(404);
  });
});
