import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { filter, firstValueFrom } from 'rxjs';
import { EventType, PlatformFailureType, TimeoutType, type HistoryEvent } from '#workflows/protocol';
import { startPlatform, type RunningPlatform } from '#workflows/platform';
import { ActivityContext } from '../activity/activity-context.js';
import { WorkflowsClient } from '../client/workflows-client.js';
import { Activity } from '../decorators/activity.decorator.js';
import { Run } from '../decorators/run.decorator.js';
import { Signal } from '../decorators/handler.decorators.js';
import { Workflow } from '../decorators/workflow.decorator.js';
import { ActivityFailure } from '../errors/activity-failure.js';
import { ApplicationFailure } from '../errors/application-failure.js';
import { runWorker, type RunningWorker } from '../run-worker.js';
import { withOptions } from '../runtime/activity-proxy.js';
import { WorkflowContext } from '../runtime/workflow-context.js';

/** How often each activity ran, by a key of the test's choosing. */
const calls = new Map<string, number>();
const count = (key: string): number => {
  const n = (calls.get(key) ?? 0) + 1;
  calls.set(key, n);
  return n;
};
/** What a hanging attempt saw of its signal. */
const aborted: string[] = [];

@Injectable()
class Steps {
  @Activity({ local: true })
  async add(input: { key: string; a: number; b: number }): Promise<number> {
    count(input.key);
    return input.a + input.b;
  }

  /** Fails until its `succeedOn`-th attempt. */
  @Activity({ local: true, retry: { initialInterval: '10ms', maximumAttempts: 5 } })
  async flaky(input: { key: string; succeedOn: number }): Promise<string> {
    const attempt = count(input.key);
    if (attempt < input.succeedOn) throw new Error(`attempt ${attempt} failed`);
    return `ok on ${attempt}`;
  }

  @Activity({ local: true })
  async refuse(key: string): Promise<never> {
    count(key);
    throw ApplicationFailure.nonRetryable('card declined', 'CardDeclined');
  }

  /** `n` characters: a result that may not fit in the completion of the workflow task that runs it. */
  @Activity({ local: true })
  async text(input: { key: string; n: number }): Promise<string> {
    count(input.key);
    return 'x'.repeat(input.n);
  }
}

@Injectable()
class SlowSteps {
  constructor(private readonly context: ActivityContext) {}

  /** Hangs until its attempt is stopped. */
  @Activity({ local: true, startToCloseTimeout: '50ms', retry: { initialInterval: '10ms', maximumAttempts: 2 } })
  async hang(key: string): Promise<string> {
    count(key);
    await new Promise<void>((resolve) => this.context.signal.addEventListener('abort', () => resolve(), { once: true }));
    aborted.push(String((this.context.signal.reason as Error | undefined)?.message));
    return 'too late';
  }

  /** Its first attempt outlasts the workflow task's budget; later ones are quick. */
  @Activity({ local: true })
  async slowFirst(key: string): Promise<string> {
    const attempt = count(key);
    if (attempt === 1) await new Promise<void>((resolve) => this.context.signal.addEventListener('abort', () => resolve(), { once: true }));
    return `done by call ${attempt}`;
  }

  @Activity()
  async ordinary(key: string): Promise<string> {
    count(key);
    return 'ordinary';
  }
}

@Workflow({ name: 'local-sum' })
class LocalSum {
  constructor(private readonly steps: Steps) {}
  @Run() async run(key: string): Promise<number> {
    const one = await this.steps.add({ key, a: 1, b: 0 });
    const two = await this.steps.add({ key, a: one, b: 1 });
    return this.steps.add({ key, a: two, b: 1 });
  }
}

@Workflow({ name: 'local-failures' })
class LocalFailures {
  constructor(private readonly steps: Steps) {}
  @Run() async run(key: string): Promise<unknown> {
    const flaky = await this.steps.flaky({ key: `${key}-flaky`, succeedOn: 3 });
    try {
      await this.steps.refuse(`${key}-refuse`);
      return 'charged';
    } catch (error) {
      const failure = error as ActivityFailure;
      return { flaky, error: failure.name, cause: (failure.cause as Error).name, message: (failure.cause as Error).message };
    }
  }
}

@Workflow({ name: 'local-timeouts' })
class LocalTimeouts {
  constructor(private readonly slow: SlowSteps) {}
  @Run() async run(key: string): Promise<unknown> {
    try {
      return await this.slow.hang(key);
    } catch (error) {
      const failure = error as ActivityFailure;
      return { type: failure.failure.type, details: failure.failure.details ?? null };
    }
  }
}

@Workflow({ name: 'local-fallback' })
class LocalFallback {
  constructor(private readonly slow: SlowSteps) {}
  @Run() async run(key: string): Promise<string> {
    return this.slow.slowFirst(key);
  }
}

@Workflow({ name: 'local-per-call' })
class LocalPerCall {
  constructor(private readonly slow: SlowSteps) {}
  @Run() async run(key: string): Promise<string[]> {
    return [await this.slow.ordinary(`${key}-ordinary`), await withOptions(this.slow, { local: true }).ordinary(`${key}-local`)];
  }
}

/** A small local result, then two results that together outgrow a workflow task's completion (the largest request). */
@Workflow({ name: 'local-big-results' })
class LocalBigResults {
  constructor(private readonly steps: Steps) {}
  @Run() async run(key: string): Promise<number[]> {
    const small = await this.steps.text({ key: `${key}-small`, n: 10 });
    const big = await Promise.all([this.steps.text({ key: `${key}-big`, n: 1_200_000 }), this.steps.text({ key: `${key}-big`, n: 1_200_000 })]);
    return [small.length, ...big.map((text) => text.length)];
  }
}

/** Waits for a signal between two local activities: its second task replays the first from history. */
@Workflow({ name: 'local-then-signal' })
class LocalThenSignal {
  private go = false;
  constructor(
    private readonly ctx: WorkflowContext,
    private readonly steps: Steps,
  ) {}
  @Signal() proceed(): void {
    this.go = true;
  }
  @Run() async run(key: string): Promise<number> {
    const first = await this.steps.add({ key, a: 20, b: 1 });
    await this.ctx.condition(() => this.go);
    return this.steps.add({ key, a: first, b: 21 });
  }
}

const types = (history: HistoryEvent[]) => history.map((event) => event.event_type);
const localMarkers = (history: HistoryEvent[]) =>
  history.filter(
    (event): event is HistoryEvent<typeof EventType.MarkerRecorded> =>
      event.event_type === EventType.MarkerRecorded && event.attributes.marker_name === 'local_activity',
  );

/**
 * Local activities (issue 11): `@Activity({ local: true })` runs on the worker that runs the
 * workflow task, inside that task, and its outcome is recorded as a marker with the task's
 * completion: no activity task, no poll, one commit.
 */
describe('local activities', () => {
  let platform: RunningPlatform;
  let worker: RunningWorker;
  let client: WorkflowsClient;

  beforeAll(async () => {
    // A short workflow task timeout: the local activities' budget is half of it (200 ms).
    platform = await startPlatform({ port: 0, databasePath: ':memory:', apiKeys: [{ key: 'k-local-activities', namespace: 'ns' }], workflowTaskTimeoutMs: 400, logger: false });
    worker = await runWorker([LocalSum, LocalFailures, LocalTimeouts, LocalFallback, LocalPerCall, LocalThenSignal, LocalBigResults], {
      activities: [Steps, SlowSteps],
      serverUrl: platform.url,
      apiKey: 'k-local-activities',
      workerName: 'local',
      workflowThreads: 0,
    });
    client = WorkflowsClient.connect({ serverUrl: platform.url, apiKey: 'k-local-activities' });
  });

  afterAll(async () => {
    await client?.close();
    await worker?.stop();
    await platform?.close();
  });

  it('run three steps inside one workflow task, recorded as markers beside its completion', async () => {
    const handle = await client.start(LocalSum, { input: 'sum' });
    expect(await handle.result()).toBe(3);
    const history = await handle.history();
    expect(types(history)).not.toContain(EventType.ActivityTaskScheduled);
    expect(types(history).filter((type) => type === EventType.WorkflowTaskCompleted)).toHaveLength(1);
    expect(localMarkers(history).map((event) => event.attributes.details)).toEqual([
      { activity_id: 1, activity_name: 'add', attempts: 1, result: 1 },
      { activity_id: 2, activity_name: 'add', attempts: 1, result: 2 },
      { activity_id: 3, activity_name: 'add', attempts: 1, result: 3 },
    ]);
    expect(calls.get('sum')).toBe(3);
  });

  it('retry on the worker by their policy, and a non-retryable failure reaches the workflow as an ActivityFailure', async () => {
    const handle = await client.start(LocalFailures, { input: 'f' });
    expect(await handle.result()).toEqual({ flaky: 'ok on 3', error: 'ActivityFailure', cause: 'CardDeclined', message: 'card declined' });
    expect(calls.get('f-flaky')).toBe(3);
    expect(calls.get('f-refuse')).toBe(1);
    const markers = localMarkers(await handle.history()).map((event) => event.attributes.details as Record<string, unknown>);
    expect(markers[0]).toMatchObject({ activity_name: 'flaky', attempts: 3, result: 'ok on 3' });
    expect(markers[1]).toMatchObject({ activity_name: 'refuse', attempts: 1, failure: { type: 'CardDeclined', message: 'card declined', non_retryable: true } });
  });

  it('time out an attempt that outlasts its startToCloseTimeout with a named failure, and tell the attempt to stop', async () => {
    const handle = await client.start(LocalTimeouts, { input: 'hang' });
    expect(await handle.result()).toEqual({ type: PlatformFailureType.ActivityTimeout, details: { timeout_type: TimeoutType.StartToClose } });
    // Both attempts ran and were stopped by their timeout.
    expect(calls.get('hang')).toBe(2);
    expect(aborted.filter((reason) => reason.includes('timed out (START_TO_CLOSE)'))).toHaveLength(2);
  });

  it("fall back to an ordinary activity when an attempt outlasts the workflow task's budget, without the task timing out", async () => {
    const handle = await client.start(LocalFallback, { input: 'fallback' });
    expect(await handle.result()).toBe('done by call 2');
    const history = await handle.history();
    expect(localMarkers(history)).toEqual([]);
    const scheduled = history.find((event) => event.event_type === EventType.ActivityTaskScheduled);
    expect(scheduled?.attributes).toMatchObject({ activity_id: 1, activity_name: 'slowFirst' });
    expect(types(history)).toContain(EventType.ActivityTaskCompleted);
    expect(types(history)).not.toContain(EventType.WorkflowTaskFailed);
  });

  it('continue as ordinary activities when their results do not fit in the workflow task\'s completion', async () => {
    // Before, both results went into one completion larger than the platform takes: refused, and
    // the task's retries ran the activities again and again, the execution never done.
    const handle = await client.start(LocalBigResults, { input: 'big' });
    expect(await handle.result()).toEqual([10, 1_200_000, 1_200_000]);
    const history = await handle.history();
    expect(localMarkers(history).map((event) => event.attributes.details)).toEqual([{ activity_id: 1, activity_name: 'text', attempts: 1, result: 'x'.repeat(10) }]);
    expect(history.filter((event) => event.event_type === EventType.ActivityTaskScheduled).map((event) => event.attributes)).toMatchObject([
      { activity_id: 2, activity_name: 'text' },
      { activity_id: 3, activity_name: 'text' },
    ]);
    expect(types(history)).not.toContain(EventType.WorkflowTaskFailed);
    // At least once: each big one ran locally (its result left out), then as an ordinary activity.
    expect(calls.get('big-small')).toBe(1);
    expect(calls.get('big-big')).toBe(4);
  }, 15_000);

  it('can be asked for per call with withOptions', async () => {
    const handle = await client.start(LocalPerCall, { input: 'per-call' });
    expect(await handle.result()).toEqual(['ordinary', 'ordinary']);
    const history = await handle.history();
    expect(history.filter((event) => event.event_type === EventType.ActivityTaskScheduled)).toHaveLength(1);
    expect(localMarkers(history).map((event) => (event.attributes.details as { activity_name: string }).activity_name)).toEqual(['ordinary']);
  });
});

/** A worker that keeps no run in memory replays every task from history: the recorded local activities must not run again. */
describe('local activities on a replay', () => {
  let platform: RunningPlatform;
  let worker: RunningWorker;
  let client: WorkflowsClient;

  beforeAll(async () => {
    platform = await startPlatform({ port: 0, databasePath: ':memory:', apiKeys: [{ key: 'k-local-replay', namespace: 'ns' }], logger: false });
    worker = await runWorker([LocalThenSignal], {
      activities: [Steps],
      serverUrl: platform.url,
      apiKey: 'k-local-replay',
      workerName: 'forgetful',
      maxCachedWorkflows: 0,
      workflowThreads: 0,
    });
    client = WorkflowsClient.connect({ serverUrl: platform.url, apiKey: 'k-local-replay' });
  });

  afterAll(async () => {
    await client?.close();
    await worker?.stop();
    await platform?.close();
  });

  it('settle from their markers, and only the new step runs', async () => {
    const handle = await client.start(LocalThenSignal, { input: 'replay' });
    // The first task ran the first step and completed; the signal's task replays it.
    await firstValueFrom(handle.events$.pipe(filter((event) => event.event_type === EventType.WorkflowTaskCompleted)));
    await handle.signal('proceed');
    expect(await handle.result()).toBe(42);
    expect(calls.get('replay')).toBe(2);
    const history = await handle.history();
    expect(localMarkers(history)).toHaveLength(2);
    expect(types(history)).not.toContain(EventType.WorkflowTaskFailed);
  });
});
