import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { ExecutionWaiters } from '../matching/execution.waiters.js';
import { TaskMatcher } from '../matching/task.matcher.js';
import { complete } from '../store/conformance/conformance.fixtures.js';
import { describePostgres, dropSchema, testSchemaName } from '../store/conformance/postgres-test.database.js';
import { PlatformTestHarness, registration, until } from '../testing/platform-test.harness.js';

/** Well below the held poll's wait: the wake-up came from the other node, not the poll's end. */
const PROMPT_MS = 5000;

describePostgres('two platform nodes on one PostgreSQL', (url) => {
  const schema = testSchemaName();
  let a: PlatformTestHarness;
  let b: PlatformTestHarness;
  beforeAll(async () => {
    a = await PlatformTestHarness.start({ databaseUrl: url, databaseSchema: schema });
    b = await PlatformTestHarness.start({ databaseUrl: url, databaseSchema: schema });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await dropSchema(url, schema);
  });

  it('wake a poll held on node B for a task queued on node A, and a result wait on B when A closes the execution', async () => {
    const workerId = (await b.call('POST', '/v1/workflows/workers/register', { body: registration() })).body.worker_id;
    const started = performance.now();
    const held = b.call('POST', '/v1/workflows/tasks/poll', { body: { worker_id: workerId, wait_ms: 20_000, max_workflow_tasks: 1, max_activity_tasks: 0 } });
    await until(() => b.platform.app.get(TaskMatcher).waitingCount('alpha') === 1, 'the poll waits on node B');
    expect((await a.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'e1' } })).status).toBeLessThan(300);
    const polled = await held;
    expect(polled.body.tasks.map((t: { execution_id: string }) => t.execution_id)).toEqual(['e1']);
    expect(performance.now() - started).toBeLessThan(PROMPT_MS);

    const waited = performance.now();
    const result = b.call('GET', '/v1/workflows/executions/e1?wait_seconds=20');
    await until(() => b.platform.app.get(ExecutionWaiters).waitingCount() === 1, 'the result wait is held on node B');
    const token = polled.body.tasks[0].task_token;
    expect((await a.call('POST', '/v1/workflows/tasks/complete', { body: { worker_id: workerId, task_token: token, commands: [complete('done')] } })).status).toBeLessThan(300);
    expect((await result).body).toMatchObject({ execution_id: 'e1', status: 'COMPLETED' });
    expect(performance.now() - waited).toBeLessThan(PROMPT_MS);
  });
});
