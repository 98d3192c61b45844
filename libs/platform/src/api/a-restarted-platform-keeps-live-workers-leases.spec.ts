import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ManualClock, PlatformTestHarness, registration } from '../testing/platform-test.harness.js';
import { TimeoutsSweeper } from '../workers/timeouts.sweeper.js';

describe('a platform restarted after a downtime longer than the session timeout', () => {
  let dir: string;
  let clock: ManualClock;
  const harnesses: PlatformTestHarness[] = [];
  // The workflow task timeout is long here: deadlines that fell in the downtime do fire at the first sweep.
  const startPlatform = async () => {
    const h = await PlatformTestHarness.start({ databasePath: join(dir, 'platform.db'), clock, sessionTimeoutMs: 10_000, workflowTaskTimeoutMs: 3_600_000 });
    harnesses.push(h);
    return h;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wf-restart-'));
    clock = new ManualClock();
  });
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives open sessions a fresh timeout, so that a live worker keeps its lease and completes it', async () => {
    const first = await startPlatform();
    const workerId = (await first.call('POST', '/v1/workflows/workers/register', { body: registration() })).body.worker_id;
    await first.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'e1' } });
    const [task] = (await first.call('POST', '/v1/workflows/tasks/poll', { body: { worker_id: workerId, wait_ms: 0, max_workflow_tasks: 1, max_activity_tasks: 0 } })).body.tasks;
    await first.close();

    clock.advance(60_000);
    const second = await startPlatform();
    await second.platform.app.get(TimeoutsSweeper).sweep();
    expect((await second.call('GET', '/v1/workflows/executions/e1/history')).body.events).toHaveLength(1);
    clock.advance(9_000);
    expect((await second.call('POST', `/v1/workflows/workers/${workerId}/heartbeat`, { body: {} })).status).toBe(200);
    await second.platform.app.get(TimeoutsSweeper).sweep();
    const done = await second.call('POST', '/v1/workflows/tasks/complete', {
      body: { worker_id: workerId, task_token: task.task_token, commands: [{ type: 'COMPLETE_WORKFLOW', result: 'kept' }] },
    });
    expect(done.status).toBe(200);
    expect((await second.call('GET', '/v1/workflows/executions/e1')).body).toMatchObject({ status: 'COMPLETED', result: 'kept' });
  });

  it('still takes the lease back when the worker does not heartbeat within the fresh timeout', async () => {
    const first = await startPlatform();
    const workerId = (await first.call('POST', '/v1/workflows/workers/register', { body: registration() })).body.worker_id;
    await first.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'e1' } });
    await first.call('POST', '/v1/workflows/tasks/poll', { body: { worker_id: workerId, wait_ms: 0, max_workflow_tasks: 1, max_activity_tasks: 0 } });
    await first.close();

    clock.advance(60_000);
    const second = await startPlatform();
    clock.advance(10_000);
    await second.platform.app.get(TimeoutsSweeper).sweep();
    const events = (await second.call('GET', '/v1/workflows/executions/e1/history')).body.events;
    expect(events[1]).toMatchObject({ event_type: 'WORKFLOW_TASK_FAILED', attributes: { failure: { type: 'WorkerSessionExpired' } } });
  });
});
