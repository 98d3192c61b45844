import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { EMPTY, Subject, catchError, from, mergeMap, type Subscription } from 'rxjs';
import {
  ErrorCode,
  type ActivityTaskWire,
  type Command,
  type Failure,
  type HistoryEvent,
  type QueryTaskWire,
  type RegisterWorkerResponse,
  type TaskWire,
  type WorkflowTaskWire,
} from '#workflows/protocol';
import { WorkflowRegistry, toRegistrationWire } from '../discovery/workflow-registry.js';
import { WorkflowsExplorer } from '../discovery/workflows.explorer.js';
import { WorkflowsApiError } from '../errors/workflows-api.error.js';
import { toFailure } from '../errors/failure.converter.js';
import type { ResolvedWorkflowsOptions } from '../options/workflows-options.js';
import { PlatformConnection } from '../transport/platform-connection.js';
import { RESOLVED_WORKFLOWS_OPTIONS, SDK_VERSION } from '../workflows.constants.js';
import { performance } from 'node:perf_hooks';
import { ActivityHeartbeater } from './activity-heartbeater.js';
import { ActivityTaskExecutor } from './activity-task.executor.js';
import { LocalActivityRunner } from './local-activity.runner.js';
import { SlotCounter, slotKindOf, type SlotKind } from './slot-counter.js';
import { TaskPoller, acceptTasks, releaseSlots } from './task-poller.js';
import { WorkflowTaskExecutor } from './workflow-task.executor.js';
import { WorkflowThreads, type WorkflowTaskRunner } from './workflow-threads.js';

const MAX_BACKOFF_MS = 5_000;
/** Events per page when a worker fetches a run's history. */
const HISTORY_PAGE = 1000;
/** The platform's workflow task timeout, when it does not say (older platforms). */
const DEFAULT_WORKFLOW_TASK_TIMEOUT_MS = 10_000;

/** A refusal of the request itself (invalid, too large): not a stale token (409), an unknown session (404) or a transient error. */
function isRefusal(error: unknown): error is WorkflowsApiError {
  return error instanceof WorkflowsApiError && (error.status === 400 || error.status === 413 || error.status === 422);
}
/** The platform answered that the task is no longer this worker's (stale token, unknown task or session). */
function isGone(error: unknown): boolean {
  return error instanceof WorkflowsApiError && (error.status === 404 || error.status === 409);
}
/** Tries of one completion before it is given up (about 20 s of backoff). */
const MAX_REPORT_ATTEMPTS = 8;

/**
 * The worker's lifecycle: discovers at module init, registers and polls at bootstrap, stops
 * polling and drains before shutdown, closes the connection at shutdown. Tasks flow from the
 * poll loop (an Observable) and from completion responses into one `tasks$` stream, which
 * runs them on the executors within the configured slots.
 */
@Injectable()
export class WorkerService implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Worker');
  readonly slots: SlotCounter;
  private readonly poller: TaskPoller;
  private readonly tasks$ = new Subject<TaskWire>();
  private readonly shutdown = new AbortController();
  private session: RegisterWorkerResponse | null = null;
  private registering: Promise<void> | null = null;
  private subscription: Subscription | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  /** Set once the platform took back this worker's tasks at shutdown: their outcomes are no longer ours to report. */
  private released = false;
  /** Tasks running on the executors, by slot kind: polls leave free slots for their completions' next tasks. */
  private readonly running: Record<SlotKind, number> = { workflow: 0, activity: 0 };
  /**
   * The tokens of the tasks this worker started (handed to an executor) whose outcome the
   * platform has not acknowledged. At shutdown only these count as attempts: every other task
   * leased to this worker goes back undelivered.
   */
  private readonly started = new Set<string>();
  /** The threads that run workflow code, once started; `null` while it runs in this process. */
  private workflowThreads: WorkflowThreads | null = null;
  private readonly localActivities: LocalActivityRunner;

  constructor(
    @Inject(RESOLVED_WORKFLOWS_OPTIONS) private readonly options: ResolvedWorkflowsOptions,
    private readonly connection: PlatformConnection,
    private readonly explorer: WorkflowsExplorer,
    private readonly registry: WorkflowRegistry,
    private readonly workflowTasks: WorkflowTaskExecutor,
    private readonly activityTasks: ActivityTaskExecutor,
  ) {
    this.slots = new SlotCounter({
      workflow: options.maxConcurrentWorkflowTasks,
      activity: options.maxConcurrentActivityTasks,
    });
    this.poller = new TaskPoller({
      transport: connection.transport,
      slots: this.slots,
      pollWaitMs: options.pollWaitMs,
      workerId: () => this.session!.worker_id,
      running: () => this.running,
      // A worker without activities does not poll for activity tasks (nor one without workflows for workflow tasks).
      kinds: () => [...(registry.workflows.size > 0 ? (['workflow'] as const) : []), ...(registry.activities.size > 0 ? (['activity'] as const) : [])],
      recover: (error, failures) => this.recover(error, failures),
    });
    this.localActivities = new LocalActivityRunner(activityTasks, registry, this.shutdown.signal, () => performance.now());
  }

  /** The session id the platform gave this worker, once registered. */
  get workerId(): string | null {
    return this.session?.worker_id ?? null;
  }

  onModuleInit(): void {
    this.explorer.explore(this.registry);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.worker) return;
    if (this.registry.workflows.size === 0 && this.registry.activities.size === 0) {
      this.logger.warn('No @Workflow() classes or @Activity() methods found: this app will not poll for tasks');
      return;
    }
    // Workflow code gets its threads before the session starts: no heartbeat waits on them.
    if (this.registry.workflows.size > 0) this.workflowThreads = await WorkflowThreads.open(this.registry, this.options, this.logger);
    try {
      await this.register();
    } catch (error) {
      await this.workflowThreads?.close();
      throw error;
    }
    this.subscription = this.tasks$
      .pipe(
        mergeMap((task) =>
          from(this.run(task)).pipe(
            catchError((error: unknown) => {
              // run() reports its own failures; reaching here is a bug, which must not stop the stream.
              this.logger.error(`Task ${task.task_token} could not be handled: ${(error as Error)?.message ?? error}`);
              return EMPTY;
            }),
          ),
        ),
      )
      .subscribe();
    this.subscription.add(this.poller.tasks$.subscribe((task) => this.dispatch(task)));
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.session!.heartbeat_interval_ms);
    this.heartbeatTimer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.subscription) return;
    this.stopping = true;
    const idle = this.slots.whenIdle();
    const grace = new Promise<'grace'>((resolve) => setTimeout(() => resolve('grace'), this.options.shutdownGraceMs).unref());
    this.poller.stop();
    if ((await Promise.race([idle, grace])) === 'grace') {
      this.logger.warn(`Shutdown grace period of ${this.options.shutdownGraceMs} ms ended with ${this.slots.inUse} task(s) running`);
    }
    // The session ends here: no heartbeat may register it again.
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    // Whatever this worker still holds is offered to other workers now, not after a timeout;
    // only the attempts it started are failed, the tasks it never started go back undelivered.
    try {
      const { released } = await this.connection.transport.shutdownWorker(this.session!.worker_id, [...this.started]);
      this.released = true;
      if (released > 0) this.logger.log(`Released ${released} unfinished task(s) to other workers`);
    } catch (error) {
      this.logger.warn(`Could not release this worker's tasks (they return after the session timeout): ${(error as Error).message}`);
    }
    this.shutdown.abort();
    this.subscription.unsubscribe();
    await this.workflowThreads?.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.workflowThreads?.close();
    await this.connection.close();
  }

  /** Where workflow code runs: the threads, or this process. */
  private get workflowCode(): WorkflowTaskRunner {
    return this.workflowThreads ?? this.workflowTasks;
  }

  /** Runs one task and reports its outcome; the response may carry the next tasks. */
  private async run(task: TaskWire): Promise<void> {
    this.started.add(task.task_token);
    const slot = slotKindOf(task.kind);
    this.running[slot]++;
    let request: Awaited<ReturnType<WorkerService['runTask']>>;
    try {
      request = await this.runTask(task);
    } finally {
      this.running[slot]--;
    }
    if (this.released) {
      this.slots.release(slot);
      return;
    }
    // The finished task's slot goes to the completion's request for the next tasks (eager
    // dispatch), with any other free slot. While stopping it is held until the report is
    // answered, so that the drain waits for it (the release at shutdown must not overtake a
    // completion in flight), and then returned.
    let next = { max_workflow_tasks: 0, max_activity_tasks: 0 };
    const holdsSlot = this.stopping;
    if (!holdsSlot) {
      next = this.slots.reserveFree();
      if (slot === 'workflow') next.max_workflow_tasks++;
      else next.max_activity_tasks++;
    }
    const base = { worker_id: this.session!.worker_id, task_token: task.task_token, next };
    try {
      const response = await this.report(() =>
        'failure' in request
          ? this.connection.transport.fail({ ...base, failure: request.failure })
          : this.connection.transport.complete({ ...base, ...request }),
      );
      this.started.delete(task.task_token);
      acceptTasks(this.slots, next, response, (nextTask) => this.dispatch(nextTask));
    } catch (error) {
      this.logger.warn(`Could not report ${task.kind} task ${task.task_token}: ${(error as Error).message}`);
      const refused = task.kind === 'workflow' && !('failure' in request) && isRefusal(error);
      if (isGone(error) || (refused && (await this.reportRefusal(task, error)))) this.started.delete(task.task_token);
      releaseSlots(this.slots, next);
    } finally {
      if (holdsSlot) this.slots.release(slot);
    }
  }

  /**
   * The platform refused a workflow task's commands (a 4xx naming the problem): the task is
   * failed with that reason, so that the execution shows it (history, `workflow_task_failure`)
   * and is retried later, rather than waiting silently for its lease to run out. Resolves with
   * whether the platform took that failure (or no longer holds the task for this worker).
   */
  private async reportRefusal(task: WorkflowTaskWire, error: WorkflowsApiError): Promise<boolean> {
    const failure = { type: 'WorkflowTaskRefused', message: `The platform refused this workflow task's commands: ${error.detail}`, non_retryable: true };
    const none = { max_workflow_tasks: 0, max_activity_tasks: 0 };
    try {
      await this.report(() => this.connection.transport.fail({ worker_id: this.session!.worker_id, task_token: task.task_token, next: none, failure }));
      return true;
    } catch (failed) {
      this.logger.warn(`Could not fail workflow task ${task.task_token}: ${(failed as Error).message}`);
      return isGone(failed);
    }
  }

  /**
   * Runs a leased task, unless the worker is stopping: then it is not started (its slot is
   * returned) and is handed back at once, undelivered, without counting a failed attempt (or, if
   * that fails, by the release at shutdown).
   */
  private dispatch(task: TaskWire): void {
    if (!this.stopping) {
      this.tasks$.next(task);
      return;
    }
    this.slots.release(slotKindOf(task.kind));
    // Back at once for other workers; if this fails, the release at shutdown hands it back.
    const release = { worker_id: this.session!.worker_id, task_tokens: [task.task_token] };
    this.connection.transport.releaseTasks(release).catch(() => undefined);
  }

  /**
   * Sends a completion, retrying with backoff while the platform is unreachable or answers
   * 5xx/429; the same token makes a retry of a completion that did land harmless.
   */
  private async report<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        const transient = !(error instanceof WorkflowsApiError) || error.status >= 500 || error.status === 429;
        if (!transient || attempt >= MAX_REPORT_ATTEMPTS || this.released) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_BACKOFF_MS, 100 * 2 ** attempt)));
      }
    }
  }

  private runTask(task: TaskWire) {
    switch (task.kind) {
      case 'workflow':
        return this.runWorkflowTask(task);
      case 'query':
        return this.runQueryTask(task);
      case 'activity':
        return this.runActivityTask(task);
    }
  }

  private async runQueryTask(task: QueryTaskWire) {
    const outcome = await this.workflowCode.executeQuery(task);
    if ('failure' in outcome) this.logger.warn(`Query '${task.query_name}' of ${task.execution_id} failed: ${outcome.failure.message}`);
    return outcome;
  }

  private async runWorkflowTask(task: WorkflowTaskWire): Promise<{ commands: Command[] } | { failure: Failure }> {
    // Local activities run inside the task: within its time and size budget, counted from now.
    const localBudget = this.localActivities.budget(this.session?.workflow_task_timeout_ms ?? DEFAULT_WORKFLOW_TASK_TIMEOUT_MS);
    let outcome = await this.workflowCode.execute(task);
    if ('historyNeeded' in outcome) {
      // Only the new events came, and this worker no longer holds the run: replay it from the whole history.
      try {
        const { history_after_event_id: _, ...whole } = task;
        outcome = await this.workflowCode.execute({ ...whole, history: [...(await this.historyUpTo(task)), ...task.history] });
      } catch (error) {
        outcome = { failure: toFailure(error) };
      }
      if ('historyNeeded' in outcome) outcome = { failure: { type: 'WorkflowTaskHistoryMissing', message: 'The whole history did not replay' } };
    }
    while ('localActivities' in outcome) {
      const outcomes = await this.localActivities.run(task, outcome.localActivities, localBudget);
      outcome = await this.workflowCode.resumeLocal(task, outcomes);
    }
    if ('failure' in outcome) this.logger.error(`Workflow task of ${task.execution_id} failed: ${outcome.failure.message}`);
    return outcome;
  }

  /** The run's events up to the first one a task with only new events carries, page by page. */
  private async historyUpTo(task: WorkflowTaskWire): Promise<HistoryEvent[]> {
    const last = task.history_after_event_id ?? 0;
    const events: HistoryEvent[] = [];
    while (events.length < last) {
      const after = events.at(-1)?.event_id ?? 0;
      const { history } = await this.report(() =>
        this.connection.transport.taskHistory({
          worker_id: this.session!.worker_id,
          execution_id: task.execution_id,
          run_id: task.run_id,
          after_event_id: after,
          page_size: Math.min(HISTORY_PAGE, last - after),
        }),
      );
      if (history.length === 0) throw new Error(`The history of run ${task.run_id} ends at event ${after}, before event ${last}`);
      events.push(...history.filter((event) => event.event_id <= last));
    }
    return events;
  }

  private async runActivityTask(task: ActivityTaskWire) {
    const attempt = new AbortController();
    const heartbeats = new ActivityHeartbeater(
      this.connection.transport,
      () => this.session!.worker_id,
      task.task_token,
      task.heartbeat_timeout_ms,
      attempt,
      () => performance.now(),
    );
    const signal = AbortSignal.any([attempt.signal, this.shutdown.signal]);
    try {
      return await this.activityTasks.execute(task, signal, (details) => heartbeats.record(details));
    } finally {
      heartbeats.stop();
    }
  }

  /** A failed poll: register again when the session is gone, else back off. */
  async recover(error: unknown, failures: number): Promise<void> {
    if (error instanceof WorkflowsApiError && error.code === ErrorCode.WorkerSessionNotFound) {
      this.logger.warn('The platform no longer knows this worker session: registering again');
      try {
        await this.register();
        return;
      } catch (registerError) {
        error = registerError;
      }
    }
    const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(failures, 10));
    this.logger.warn(`Poll failed (${(error as Error).message}); retrying in ${delay} ms`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }

  private async heartbeat(): Promise<void> {
    if (!this.session) return;
    try {
      await this.connection.transport.heartbeat(this.session.worker_id);
    } catch (error) {
      if (error instanceof WorkflowsApiError && error.code === ErrorCode.WorkerSessionNotFound) {
        if (!this.stopping) await this.register().catch(() => undefined);
      }
      else this.logger.warn(`Heartbeat failed: ${(error as Error).message}`);
    }
  }

  private register(): Promise<void> {
    this.registering ??= this.doRegister().finally(() => (this.registering = null));
    return this.registering;
  }

  private async doRegister(): Promise<void> {
    this.session = await this.connection.transport.register({
      worker_name: this.options.workerName,
      deployment_name: this.options.deploymentName,
      sdk_version: SDK_VERSION,
      workflows: [...this.registry.workflows.values()].map(toRegistrationWire),
      activities: [...this.registry.activities.keys()].map((name) => ({ name })),
      max_concurrent_workflow_tasks: this.options.maxConcurrentWorkflowTasks,
      max_concurrent_activity_tasks: this.options.maxConcurrentActivityTasks,
    });
    for (const warning of this.session.warnings) this.logger.warn(warning);
    this.logger.log(
      `Worker '${this.options.workerName}' registered with ${this.connection.baseUrl} as ${this.session.worker_id}: ` +
        `${this.registry.workflows.size} workflow(s), ${this.registry.activities.size} activity(ies), deployment '${this.options.deploymentName}'`,
    );
  }
}
