import 'reflect-metadata';
import { filter, firstValueFrom } from 'rxjs';
import { Limits } from '#workflows/protocol';
import { Run, Workflow } from '#workflows/sdk';
import { TestWorkflowEnvironment } from './index.js';

/** Returns a result larger than the platform accepts in one request. */
@Workflow({ name: 'too-big' })
class TooBigWorkflow {
  @Run()
  async run(): Promise<string> {
    return 'x'.repeat(Limits.maxRequestBytes + 1);
  }
}

describe('a workflow task whose commands the platform refuses', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await TestWorkflowEnvironment.create({ workflows: [TooBigWorkflow] });
  });
  afterAll(() => env.close());

  it('fails with the refusal, visible in history and on the execution, instead of waiting for its lease to run out', async () => {
    const handle = await env.client.start(TooBigWorkflow);
    const failed = await firstValueFrom(handle.events$.pipe(filter((event) => event.event_type === 'WORKFLOW_TASK_FAILED')));
    expect(failed.attributes).toMatchObject({ failure: { type: 'WorkflowTaskRefused', message: expect.stringContaining('refused') } });
    const execution = await handle.describe();
    expect(execution.status).toBe('RUNNING');
    expect(execution.workflow_task_failure).toMatchObject({ type: 'WorkflowTaskRefused' });
    await handle.terminate('test over');
  });
});
