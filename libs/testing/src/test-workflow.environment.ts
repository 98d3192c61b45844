import { randomBytes } from 'node:crypto';
import { Module, type DynamicModule, type ForwardReference, type INestApplicationContext, type LogLevel, type Provider, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { toMilliseconds, type Duration } from '#workflows/protocol';
import { STORE, SqliteStore, TaskMatcher, TimeoutsSweeper, startPlatform, type RunningPlatform } from '#workflows/platform';
import { WorkflowsClient, WorkflowsModule } from '#workflows/sdk';
import { activityProviders, type ActivityMocks } from './activity.mocks.js';
import { TestClock } from './test.clock.js';
import { TimeSkipper } from './time.skipper.js';
import { TimeSkippingTransport } from './time-skipping.transport.js';

/** The namespace of a test environment. */
const NAMESPACE = 'test';
/** A worker session's lifetime without heartbeats (the platform's default). */
const SESSION_TIMEOUT_MS = 10_000;

/** Options of {@link TestWorkflowEnvironment.create}. */
export interface TestWorkflowEnvironmentOptions {
  /** The `@Workflow()` classes the worker runs. */
  workflows: Type[];
  /** Providers with `@Activity()` methods, run for real unless mocked. @default [] */
  activities?: Type[];
  /** Other providers the activities inject. @default [] */
  providers?: Provider[];
  /** Modules the activities' providers need. @default [] */
  imports?: (Type | DynamicModule | Promise<DynamicModule> | ForwardReference)[];
  /**
   * Activities replaced by functions, by activity name (`@Activity({ name })`, else the method
   * name): `{ charge: async (order) => ({ id: 'r-1' }) }`. A provider only injected into a
   * workflow needs no other setup; its activities without a mock fail (`ActivityNotMocked`).
   * @default {}
   */
  activityMocks?: ActivityMocks;
  /** Where the test clock starts (epoch ms or a `Date`). @default the wall clock's now */
  startTime?: number | Date;
  /** The worker's Nest log levels, or `false` for none (Nest's logger is process-wide). @default ['error', 'warn'] */
  logger?: LogLevel[] | false;
}

/**
 * A platform (SQLite in memory, on a free port of 127.0.0.1) and a worker, in this process,
 * for unit tests of workflows. Time is the environment's own ({@link now}), and it **skips**:
 * while the test waits for a workflow's result (`handle.result()`, `client.execute()`) and
 * nothing is running (no workflow task in flight, no activity running, nothing waiting to be
 * taken), the clock jumps to the next timer and fires it at once, so that `ctx.sleep('30d')`
 * takes milliseconds. Time does not skip otherwise: between `start()` and `signal()`, nothing
 * fires on its own. {@link sleep} moves time forward explicitly.
 *
 * ```ts
 * const env = await TestWorkflowEnvironment.create({ workflows: [OrderWorkflow], activityMocks: { charge: async () => receipt } });
 * const handle = await env.client.start(OrderWorkflow, { input: order });
 * await expect(handle.result()).resolves.toEqual(...);
 * await env.close();
 * ```
 */
export class TestWorkflowEnvironment {
  private closing: Promise<void> | null = null;

  private constructor(
    /** A client of the environment's platform; its result waits skip time. */
    readonly client: WorkflowsClient,
    /** The platform, for tests that need its URL or its Nest app. */
    readonly platform: RunningPlatform,
    /** The worker's Nest application context. */
    readonly worker: INestApplicationContext,
    /** The API key of the environment's namespace. */
    readonly apiKey: string,
    /** The platform's clock, and so every workflow's; moved only by the skipper, which keeps sessions alive across jumps. */
    private readonly clock: TestClock,
    private readonly skipper: TimeSkipper,
  ) {}

  /** Starts the platform and the worker; resolves once the worker has registered. */
  static async create(options: TestWorkflowEnvironmentOptions): Promise<TestWorkflowEnvironment> {
    const startTime = options.startTime instanceof Date ? options.startTime.getTime() : options.startTime;
    // Checked before anything starts: a mock of no activity is a mistake in the test.
    const activities = activityProviders(options.workflows, options.activities ?? [], options.activityMocks);
    const clock = new TestClock(startTime);
    const apiKey = `wf_test_${randomBytes(18).toString('base64url')}`;
    const platform = await startPlatform({
      host: '127.0.0.1',
      port: 0,
      databasePath: ':memory:',
      sqliteSynchronous: 'NORMAL',
      apiKeys: [{ key: apiKey, namespace: NAMESPACE }],
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      logger: false,
      clock,
    });
    let skipper: TimeSkipper | null = null;
    try {
      const store = platform.app.get(STORE);
      if (!(store instanceof SqliteStore)) throw new Error('The test environment needs the SQLite store');
      const sweeper = platform.app.get(TimeoutsSweeper);
      const matcher = platform.app.get(TaskMatcher);
      skipper = new TimeSkipper({
        clock,
        pendingWork: (now) => store.pendingWork(now),
        keepSessionsUntil: async (now, expiresAt) => void (await store.refreshWorkerSessions(now, expiresAt)),
        sweep: () => sweeper.sweep(),
        wakePolls: () => matcher.wakeAll(),
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        onChange: (listener) => store.subscribe({ transition: listener, changed: listener, resync: listener }),
      });

      @Module({
        imports: [
          WorkflowsModule.forRoot({ serverUrl: platform.url, apiKey, workerName: 'test-worker', deploymentName: 'test', shutdownGraceMs: 2000 }),
          ...(options.imports ?? []),
        ],
        providers: [...options.workflows, ...activities, ...(options.providers ?? [])],
      })
      class TestWorkerModule {}

      const worker = await NestFactory.createApplicationContext(TestWorkerModule, { logger: options.logger ?? ['error', 'warn'] });
      const client = new WorkflowsClient(new TimeSkippingTransport({ baseUrl: platform.url, apiKey, connections: 8 }, skipper), true);
      return new TestWorkflowEnvironment(client, platform, worker, apiKey, clock, skipper);
    } catch (error) {
      await skipper?.close();
      await platform.close();
      throw error;
    }
  }

  /** The environment's time (epoch ms): the platform's, and so what `ctx.now()` reads in a workflow. */
  now(): number {
    return this.clock.now();
  }

  /**
   * Moves time forward by `duration` (`'2h'` or ms). Timers due on the way fire in order, each
   * once the work the previous one caused is done; time never moves while an activity runs or
   * a workflow task is in flight (it passes in real time then).
   */
  sleep(duration: Duration): Promise<void> {
    return this.skipper.sleep(toMilliseconds(duration));
  }

  /** Stops the worker (draining it), then the platform; leaves no timer or socket open. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.skipper.close();
      try {
        await this.worker.close();
      } finally {
        // The client's sockets go first: the platform's close waits for connections a client keeps alive.
        await this.client.close();
        await this.platform.close();
      }
    })();
    return this.closing;
  }
}
