import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { STORE } from '../platform.constants.js';
import type { Store } from '../store/store.interface.js';
import { TasksService } from '../tasks/tasks.service.js';
import { PlatformTestHarness, registration } from '../testing/platform-test.harness.js';

describe('a poll whose client went away after its claim committed', () => {
  let h: PlatformTestHarness;
  beforeEach(async () => {
    h = await PlatformTestHarness.start();
  });
  afterEach(async () => {
    await h.close();
  });

  it('hands the claimed tasks back at once, at the next attempt, so that the unseen token is stale', async () => {
    const workerId = (await h.call('POST', '/v1/workflows/workers/register', { body: registration() })).body.worker_id;
    await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'e1' } });
    const store = h.platform.app.get<Store>(STORE);
    const claim = store.claimTasks.bind(store);
    const client = new AbortController();
    let unseen = '';
    // The client disconnects while the claim commits.
    jest.spyOn(store, 'claimTasks').mockImplementationOnce(async (request) => {
      const tasks = await claim(request);
      unseen = tasks[0]!.task_token;
      client.abort();
      return tasks;
    });
    const service = h.platform.app.get(TasksService);
    const answer = await service.poll('alpha', { worker_id: workerId, wait_ms: 0, max_workflow_tasks: 1, max_activity_tasks: 0 }, client.signal);
    expect(answer).toEqual({ tasks: [] });
    expect(unseen).toMatch(/\.1$/);

    const again = await h.call('POST', '/v1/workflows/tasks/poll', { body: { worker_id: workerId, wait_ms: 0, max_workflow_tasks: 1, max_activity_tasks: 0 } });
    expect(again.body.tasks.map((t: { execution_id: string; attempt: number }) => [t.execution_id, t.attempt])).toEqual([['e1', 2]]);
    const late = await h.call('POST', '/v1/workflows/tasks/complete', { body: { worker_id: workerId, task_token: unseen, commands: [] } });
    expect(late.status).toBe(409);
    expect((await h.call('GET', '/v1/workflows/executions/e1/history')).body.events).toHaveLength(1);
  });
});
