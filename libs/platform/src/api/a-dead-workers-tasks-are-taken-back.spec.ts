import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { TaskMatcher } from '../matching/task.matcher.js';
import { ManualClock, PlatformTestHarness, registration, until } from '../testing/platform-test.harness.js';
import { TimeoutsSweeper } from '../workers/timeouts.sweeper.js';

describe('a worker that stops heartbeating loses its tasks', () => {
  let h: PlatformTestHarness;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock();
    h = await PlatformTestHarness.start({ heartbeatIntervalMs: 50, sessionTimeoutMs: 300, clock });
  });
  afterEach(async () => {
    await h.close();
  });

  it('offers its leased workflow task to a waiting worker at the next sweep, and refuses the late completion', async () => {
    const register = async () => (await h.call('POST', '/v1/workflows/workers/register', { body: registration() })).body.worker_id as string;
    const dead = await register();
    await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'orphan' } });
    const leased = await h.call('POST', '/v1/workflows/tasks/poll', { body: { worker_id: dead, wait_ms: 0, max_workflow_tasks: 1, max_activity_tasks: 0 } });
    const [task] = leased.body.tasks;
    expect(task.attempt).toBe(1);

    // The dead worker still has a poll waiting (its process hangs): being older, it must not swallow the wake-up.
    const matcher = h.platform.app.get(TaskMatcher);
    const deadPoll = h.call('POST', '/v1/workflows/tasks/poll', { body: { worker_id: dead, wait_ms: 20_000, max_workflow_tasks: 1, max_activity_tasks: 0 } });
    await until(() => matcher.waitingCount('alpha') === 1, 'the dead worker waits');
    clock.advance(100);
    const alive = await register();
    const taken = h.call('POST', '/v1/workflows/tasks/poll', { body: { worker_id: alive, wait_ms: 10_000, max_workflow_tasks: 1, max_activity_tasks: 0 } });
    await until(() => matcher.waitingCount('alpha') === 2, 'the live worker waits');
    clock.advance(250);
    expect((await h.call('POST', `/v1/workflows/workers/${alive}/heartbeat`, { body: {} })).status).toBe(200);
    await h.platform.app.get(TimeoutsSweeper).sweep();
    expect((await taken).body.tasks.map((t: { execution_id: string; attempt: number }) => [t.execution_id, t.attempt])).toEqual([['orphan', 2]]);

    const late = await h.call('POST', '/v1/workflows/tasks/complete', { body: { worker_id: dead, task_token: task.task_token, commands: [] } });
    expect(late.status).toBe(409);
    expect((await h.call('POST', `/v1/workflows/workers/${dead}/heartbeat`, { body: {} })).status).toBe(404);
    matcher.close();
    expect((await deadPoll).body).toEqual({ tasks: [] });
  });
});
