import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { startPlatform, type RunningPlatform } from '#workflows/platform';
import { WorkflowsClient } from './client/workflows-client.js';
import { Activity } from './decorators/activity.decorator.js';
import { Run } from './decorators/run.decorator.js';
import { Workflow } from './decorators/workflow.decorator.js';
import { runWorker, type RunningWorker } from './run-worker.js';

@Injectable()
class Greeter {
  greet(name: string): string {
    return `Hello, ${name}`;
  }
}

@Injectable()
class GreetingActivities {
  constructor(private readonly greeter: Greeter) {}
  @Activity() async compose(name: string): Promise<string> {
    return this.greeter.greet(name);
  }
  @Activity() async shout(text: string): Promise<string> {
    return text.toUpperCase();
  }
}

@Workflow({ name: 'greeting' })
class GreetingWorkflow {
  constructor(private readonly activities: GreetingActivities) {}
  @Run() async run(input: { names: string[] }): Promise<string[]> {
    // Parallel activities: both scheduled by the same workflow task.
    return Promise.all(input.names.map(async (name) => this.activities.shout(await this.activities.compose(name))));
  }
}

describe('runWorker', () => {
  let platform: RunningPlatform;
  let worker: RunningWorker;
  let client: WorkflowsClient;

  beforeAll(async () => {
    platform = await startPlatform({ port: 0, databasePath: ':memory:', apiKeys: [{ key: 'k-run-worker', namespace: 'ns' }], logger: false });
    worker = await runWorker([GreetingWorkflow], {
      activities: [GreetingActivities],
      providers: [Greeter],
      serverUrl: platform.url,
      apiKey: 'k-run-worker',
      workerName: 'script-worker',
    });
    client = WorkflowsClient.connect({ serverUrl: platform.url, apiKey: 'k-run-worker' });
  });

  afterAll(async () => {
    await client?.close();
    await worker?.stop();
    await platform?.close();
  });

  it('runs a workflow with parallel activities without a module of its own', async () => {
    expect(await client.execute(GreetingWorkflow, { input: { names: ['ada', 'grace', 'linus'] } })).toEqual([
      'HELLO, ADA',
      'HELLO, GRACE',
      'HELLO, LINUS',
    ]);
  });

  it('stops on demand and resolves `stopped`', async () => {
    await worker.stop();
    await expect(worker.stopped).resolves.toBeUndefined();
  });
});
