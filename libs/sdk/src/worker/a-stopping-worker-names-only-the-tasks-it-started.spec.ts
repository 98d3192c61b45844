import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { ActivityTaskWire, CompleteTaskRequest, PollTasksRequest, RegisterWorkerResponse, ShutdownWorkerResponse, TasksResponse } from '#workflows/protocol';
import { Activity } from '../decorators/activity.decorator.js';
import { PlatformConnection } from '../transport/platform-connection.js';
import type { PlatformTransport } from '../transport/platform-transport.js';
import { WorkflowsModule } from '../workflows.module.js';
import { WorkerService } from './worker.service.js';

/** A promise the test settles. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

/** Activity attempts the test lets finish, one `finish` per started attempt, in order. */
@Injectable()
class HeldActivities {
  static readonly ran: string[] = [];
  static started = deferred();
  static finish = deferred();

  @Activity()
  async work(name: string): Promise<string> {
    HeldActivities.ran.push(name);
    HeldActivities.started.resolve();
    await HeldActivities.finish.promise;
    return name;
  }
}

const activityTask = (id: number): ActivityTaskWire => ({
  kind: 'activity',
  task_token: `a${id}.1`,
  execution_id: `e${id}`,
  run_id: `r${id}`,
  workflow_name: 'wf',
  activity_id: 1,
  activity_name: 'work',
  scheduled_event_id: 3,
  input: [`task ${id}`],
  attempt: 1,
  start_to_close_timeout_ms: 60_000,
  heartbeat_timeout_ms: 0,
  heartbeat_details: null,
});

/**
 * The platform as the worker sees it (PlatformTransport is the declared seam): the first poll
 * leases task 1, later polls wait until aborted; completions wait until the test answers them.
 */
class ScriptedPlatform {
  readonly completions: { body: CompleteTaskRequest; answer: (response: TasksResponse) => void }[] = [];
  readonly shutdowns: { workerId: string; startedTokens: readonly string[] }[] = [];
  readonly completionSent = deferred();
  readonly pollAborted = deferred();
  private activityPolls = 0;
  readonly baseUrl = 'http://scripted';

  async register(): Promise<RegisterWorkerResponse> {
    return { worker_id: 'w1', namespace: 'n', heartbeat_interval_ms: 60_000, session_timeout_ms: 180_000, poll_wait_ms: 30_000, warnings: [] };
  }

  async heartbeat(): Promise<void> {}

  poll(body: PollTasksRequest, signal?: AbortSignal): Promise<TasksResponse> {
    // The first poll for activity tasks gets one; every other poll waits until it is aborted.
    if (body.max_activity_tasks > 0 && ++this.activityPolls === 1) return Promise.resolve({ tasks: [activityTask(1)] });
    return new Promise((_resolve, reject) =>
      signal?.addEventListener('abort', () => {
        this.pollAborted.resolve();
        reject(new Error('aborted'));
      }),
    );
  }

  complete(body: CompleteTaskRequest): Promise<TasksResponse> {
    return new Promise((answer) => {
      this.completions.push({ body, answer });
      this.completionSent.resolve();
    });
  }

  async shutdownWorker(workerId: string, startedTokens: readonly string[]): Promise<ShutdownWorkerResponse> {
    this.shutdowns.push({ workerId, startedTokens });
    return { released: 0 };
  }

  async close(): Promise<void> {}
}

describe('a stopping worker names to the platform only the tasks it started', () => {
  let platform: ScriptedPlatform;
  let moduleRef: TestingModule;

  beforeEach(async () => {
    HeldActivities.ran.length = 0;
    HeldActivities.started = deferred();
    HeldActivities.finish = deferred();
    platform = new ScriptedPlatform();
  });

  async function startWorker(shutdownGraceMs: number): Promise<WorkerService> {
    moduleRef = await Test.createTestingModule({
      imports: [WorkflowsModule.forRoot({ serverUrl: 'http://scripted', apiKey: 'k', workerName: 'unit', shutdownGraceMs })],
      providers: [HeldActivities],
    })
      .overrideProvider(PlatformConnection)
      .useValue({ transport: platform as unknown as PlatformTransport, apiKey: 'k', baseUrl: platform.baseUrl, close: async () => undefined })
      .compile();
    await moduleRef.init();
    return moduleRef.get(WorkerService);
  }

  it('does not run, nor name, a task a completion brings while it stops', async () => {
    await startWorker(10_000);
    await HeldActivities.started.promise;
    HeldActivities.finish.resolve();
    await platform.completionSent.promise;
    expect(platform.completions[0]!.body).toMatchObject({ task_token: 'a1.1', next: { max_activity_tasks: expect.any(Number) } });

    const closing = moduleRef.close();
    await platform.pollAborted.promise;
    // The completion asked for more tasks before the worker began to stop: its answer brings one.
    platform.completions[0]!.answer({ tasks: [activityTask(2)] });
    await closing;

    expect(HeldActivities.ran).toEqual(['task 1']);
    expect(platform.completions).toHaveLength(1);
    expect(platform.shutdowns).toEqual([{ workerId: 'w1', startedTokens: [] }]);
  });

  it('waits, before the release, for the answer to a completion sent while stopping', async () => {
    const worker = await startWorker(10_000);
    await HeldActivities.started.promise;
    const closing = moduleRef.close();
    await platform.pollAborted.promise;
    HeldActivities.finish.resolve();
    await platform.completionSent.promise;
    expect(platform.completions[0]!.body).toMatchObject({ task_token: 'a1.1', next: { max_workflow_tasks: 0, max_activity_tasks: 0 } });
    // The finished task keeps its slot until the platform answers: the drain is not over.
    expect(worker.slots.inUse).toBe(1);
    expect(platform.shutdowns).toEqual([]);
    platform.completions[0]!.answer({ tasks: [] });
    await closing;
    expect(platform.shutdowns).toEqual([{ workerId: 'w1', startedTokens: [] }]);
  });

  it('names an attempt still running when the grace period ends', async () => {
    await startWorker(0);
    await HeldActivities.started.promise;
    await moduleRef.close();
    expect(platform.shutdowns).toEqual([{ workerId: 'w1', startedTokens: ['a1.1'] }]);
    HeldActivities.finish.resolve();
  });
});
