import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { EventType } from '#workflows/protocol';
import { startPlatform, type RunningPlatform } from '#workflows/platform';
import { WorkflowsClient } from '../client/workflows-client.js';
import { Activity } from '../decorators/activity.decorator.js';
import { Run } from '../decorators/run.decorator.js';
import { Workflow } from '../decorators/workflow.decorator.js';
import { runWorker, type RunningWorker } from '../run-worker.js';

/** Lets each test decide when the first execution's step returns, so that the two runs interleave. */
let releaseFirst: () => void = () => undefined;
const firstMayFinish = () => new Promise<void>((resolve) => (releaseFirst = resolve));

@Injectable()
class Steps {
  @Activity() async step(input: { run: string; n: number }): Promise<number> {
    if (input.run === 'first' && input.n === 1) await firstMayFinish();
    return input.n;
  }
}

@Workflow({ name: 'two-steps' })
class TwoSteps {
  constructor(private readonly steps: Steps) {}
  @Run() async run(run: string): Promise<number> {
    return (await this.steps.step({ run, n: 1 })) + (await this.steps.step({ run, n: 2 }));
  }
}

/**
 * Incremental history (issue 11): the platform sends a run's holder only the events it has not
 * seen. A worker that has dropped the run from its cache since (here: room for one run) fetches
 * the whole history and replays, and the task does not fail.
 */
describe('a worker that no longer holds a run', () => {
  let platform: RunningPlatform;
  let worker: RunningWorker;
  let client: WorkflowsClient;

  beforeAll(async () => {
    platform = await startPlatform({ port: 0, databasePath: ':memory:', apiKeys: [{ key: 'k-held-run', namespace: 'ns' }], logger: false });
    worker = await runWorker([TwoSteps], {
      activities: [Steps],
      serverUrl: platform.url,
      apiKey: 'k-held-run',
      workerName: 'forgetful',
      maxCachedWorkflows: 1,
      workflowThreads: 0,
    });
    client = WorkflowsClient.connect({ serverUrl: platform.url, apiKey: 'k-held-run' });
  });

  afterAll(async () => {
    await client?.close();
    await worker?.stop();
    await platform?.close();
  });

  it('fetches the whole history of a run it was sent only new events of, and completes it without a failed task', async () => {
    const first = await client.start(TwoSteps, { input: 'first' });
    // The first run waits in its step while the second runs to the end: the cache's one place goes to the second.
    expect(await client.execute(TwoSteps, { input: 'second' })).toBe(3);
    releaseFirst();
    expect(await first.result()).toBe(3);
    const history = await first.history();
    expect(history.map((event) => event.event_type)).not.toContain(EventType.WorkflowTaskFailed);
    // Its second workflow task came to this worker as new events only, and it replayed from the fetched history.
    expect(history.filter((event) => event.event_type === EventType.WorkflowTaskCompleted)).toHaveLength(3);
  });
});
