import { Inject, Injectable, type LoggerService } from '@nestjs/common';
import {
  ErrorCode,
  parseTaskToken,
  type Clock,
  type CompleteTaskRequest,
  type FailTaskRequest,
  type HeartbeatTaskRequest,
  type HeartbeatTaskResponse,
  type PollTasksRequest,
  type ReleaseTasksRequest,
  type ReleaseTasksResponse,
  type TaskHistoryRequest,
  type TaskHistoryResponse,
  type TaskSlots,
  type TaskTokenParts,
  type TaskWire,
  type TasksResponse,
} from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';
import { ChildWorkflowStarts } from '../executions/child-workflow.starts.js';
import { TaskMatcher } from '../matching/task.matcher.js';
import { TransitionPublisher } from '../matching/transition.publisher.js';
import type { ResolvedPlatformOptions } from '../options/platform.options.js';
import { CLOCK, PLATFORM_LOGGER, PLATFORM_OPTIONS, STORE } from '../platform.constants.js';
import type { ClaimRequest, Store, TaskCaller, TransitionOutcome, WorkerSession } from '../store/store.interface.js';
import { WorkerSessionsService } from '../workers/worker-sessions.service.js';

/** The first retry of a failed workflow task waits this long, doubling per attempt up to the cap. */
const WORKFLOW_TASK_RETRY_MS = 1000;
const WORKFLOW_TASK_RETRY_CAP_MS = 60_000;

/** The worker protocol's task operations: poll, complete, fail, heartbeat. */
@Injectable()
export class TasksService {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PLATFORM_OPTIONS) private readonly options: ResolvedPlatformOptions,
    private readonly sessions: WorkerSessionsService,
    private readonly matcher: TaskMatcher,
    private readonly publisher: TransitionPublisher,
    private readonly childStarts: ChildWorkflowStarts,
    @Inject(PLATFORM_LOGGER) private readonly logger: LoggerService | null,
  ) {}

  /**
   * Leases tasks to a live session, holding the poll until some come or the wait ends. When the
   * client went away while the claim committed, the tasks are handed back at once.
   */
  async poll(namespace: string, request: PollTasksRequest, signal?: AbortSignal): Promise<TasksResponse> {
    const session = await this.sessions.liveSession(namespace, request.worker_id);
    const tasks = await this.matcher.poll({
      session,
      maxWorkflowTasks: request.max_workflow_tasks,
      maxActivityTasks: request.max_activity_tasks,
      waitMs: request.wait_ms ?? this.options.pollWaitMs,
      leaseMs: this.sessions.leaseMs,
      workflowTaskTimeoutMs: this.options.workflowTaskTimeoutMs,
      historyWarnEvents: this.options.historyWarnEvents,
      signal,
    });
    if (tasks.length > 0 && signal?.aborted) {
      await this.releaseUndelivered(namespace, request.worker_id, tasks);
      return { tasks: [] };
    }
    return { tasks };
  }

  /**
   * Hands back tasks leased to a worker that never received them (its poll's client went away):
   * each is queued again at once at the next attempt, so that the unseen token is stale, and
   * the polls that can take them are woken. Never throws: a failure leaves the tasks to their
   * timeouts.
   */
  async releaseUndelivered(namespace: string, workerId: string, tasks: readonly TaskWire[]): Promise<void> {
    try {
      await this.handBack(namespace, workerId, tasks.map((task) => task.task_token));
    } catch {
      // The workflow task timeout or the activity's timeouts take them back.
    }
  }

  /** Hands back tasks a worker of the namespace received and will not start: queued again at once, no failure recorded. */
  async release(namespace: string, request: ReleaseTasksRequest): Promise<ReleaseTasksResponse> {
    await this.sessions.session(namespace, request.worker_id);
    return { released: await this.handBack(namespace, request.worker_id, request.task_tokens) };
  }

  /** Queues again the tasks still leased to `workerId` at these tokens' attempts, wakes the polls that can take them; how many. */
  private async handBack(namespace: string, workerId: string, taskTokens: readonly string[]): Promise<number> {
    const tokens = taskTokens.map((token) => parseTaskToken(token)).filter((token) => token !== null);
    const tasks = await this.store.releaseTasks({ namespace, workerId, tokens, now: this.clock.now() });
    this.publisher.publish(namespace, { tasks });
    return tasks.length;
  }

  /** A page of a run's history for a live worker of the namespace; unknown execution or run: `WF_EXECUTION_NOT_FOUND`. */
  async history(namespace: string, request: Required<TaskHistoryRequest>): Promise<TaskHistoryResponse> {
    await this.sessions.session(namespace, request.worker_id);
    const history = await this.store.readHistory(namespace, request.execution_id, request.after_event_id, request.page_size, request.run_id);
    if (!history) throw new PlatformError(ErrorCode.ExecutionNotFound, `Execution ${JSON.stringify(request.execution_id)} has no run ${JSON.stringify(request.run_id)}`);
    return { history };
  }

  /** Records an activity attempt's heartbeat and its details; says whether the activity should stop. */
  async heartbeat(namespace: string, request: HeartbeatTaskRequest): Promise<HeartbeatTaskResponse> {
    const session = await this.sessions.session(namespace, request.worker_id);
    const caller = this.caller(session, request.task_token);
    if (caller.token.kind !== 'activity') throw invalid(`task_token names a ${caller.token.kind} task: only activity tasks heartbeat`);
    const outcome = await this.store.heartbeatActivityTask(request.details === undefined ? caller : { ...caller, details: request.details });
    return { cancel_requested: outcome.cancelRequested };
  }

  /**
   * Completes a leased task, then leases up to `next` more without waiting: a workflow task with
   * its commands, an activity or a query (`q…` token: its answer) with its result.
   */
  async complete(namespace: string, request: CompleteTaskRequest): Promise<TasksResponse> {
    const session = await this.sessions.session(namespace, request.worker_id);
    const caller = this.caller(session, request.task_token);
    const next = this.eagerClaim(session, caller.now, request.next);
    let outcome: TransitionOutcome;
    if (caller.token.kind === 'workflow') {
      if (request.commands === undefined) throw invalid('commands is required to complete a workflow task');
      if (request.result !== undefined) throw invalid('result is not accepted for a workflow task: send a COMPLETE_WORKFLOW command');
      const historyLimits = { warnEvents: this.options.historyWarnEvents, maxEvents: this.options.historyMaxEvents };
      const childStartFailures = Array.isArray(request.commands) ? await this.childStarts.failures(namespace, request.commands) : undefined;
      outcome = await this.store.completeWorkflowTask({
        ...caller,
        ...next,
        commands: request.commands,
        historyLimits,
        ...(childStartFailures ? { childStartFailures } : {}),
      });
      if (outcome.historyWarning) this.warnHistorySize(namespace, outcome.historyWarning);
    } else {
      if (request.commands !== undefined) throw invalid('commands is only accepted for a workflow task');
      outcome =
        caller.token.kind === 'query'
          ? await this.store.answerQueryTask({ ...caller, result: request.result ?? null })
          : await this.store.completeActivityTask({ ...caller, ...next, result: request.result ?? null });
    }
    return { tasks: this.afterTransition(session, outcome) };
  }

  /**
   * Records a leased task's failure, then leases up to `next` more without waiting. A query's
   * failure is its answer: the handler threw, and the caller gets it.
   */
  async fail(namespace: string, request: FailTaskRequest): Promise<TasksResponse> {
    const session = await this.sessions.session(namespace, request.worker_id);
    const caller = this.caller(session, request.task_token);
    const next = this.eagerClaim(session, caller.now, request.next);
    let outcome: TransitionOutcome;
    switch (caller.token.kind) {
      case 'workflow':
        outcome = await this.store.failWorkflowTask({ ...caller, ...next, failure: request.failure, retryDelayMs: workflowTaskRetryDelay(caller.token) });
        break;
      case 'query':
        outcome = await this.store.answerQueryTask({ ...caller, failure: request.failure });
        break;
      default:
        outcome = await this.store.failActivityTask({ ...caller, ...next, failure: request.failure });
    }
    return { tasks: this.afterTransition(session, outcome) };
  }

  /**
   * Eager dispatch: the completing worker (warm, live, and asking) leases the tasks its transition
   * creates that it can take, in the same transaction (`EagerLease`); `{}` when it asks for none.
   */
  private eagerClaim(session: WorkerSession, now: number, slots?: TaskSlots): { next?: ClaimRequest } {
    if (!slots || (slots.max_workflow_tasks <= 0 && slots.max_activity_tasks <= 0) || session.expiresAt <= now) return {};
    return {
      next: this.matcher.claimRequest({
        session,
        maxWorkflowTasks: slots.max_workflow_tasks,
        maxActivityTasks: slots.max_activity_tasks,
        leaseMs: this.sessions.leaseMs,
        workflowTaskTimeoutMs: this.options.workflowTaskTimeoutMs,
        historyWarnEvents: this.options.historyWarnEvents,
      }),
    };
  }

  /** Announces what the transition queued (but what the completing worker leased) to the waiting polls; returns the worker's leased tasks. */
  private afterTransition(session: WorkerSession, outcome: TransitionOutcome): TaskWire[] {
    // A retried completion the store had already recorded: nothing happened, nothing more is leased.
    if (outcome.duplicate) return [];
    this.publisher.publish(session.namespace, outcome);
    return outcome.leased ?? [];
  }

  /** Once per run (the store says when): its history reached the soft limit. Ids only, never payloads. */
  private warnHistorySize(namespace: string, warning: NonNullable<TransitionOutcome['historyWarning']>): void {
    this.logger?.warn(
      `Execution ${JSON.stringify(warning.executionId)} (namespace ${JSON.stringify(namespace)}, run ${warning.runId}) has ` +
        `${warning.historyLength} history events, past the soft limit of ${this.options.historyWarnEvents}: at ` +
        `${this.options.historyMaxEvents} the run fails (HistoryLimitExceeded); the workflow should continue as new`,
      'Workflows',
    );
  }

  private caller(session: WorkerSession, taskToken: string): TaskCaller {
    const token = parseTaskToken(taskToken);
    if (!token) throw new PlatformError(ErrorCode.TaskTokenInvalid, 'task_token is not a task token (expected w<id>.<attempt>, a<id>.<attempt> or q<id>.<attempt>)');
    return { namespace: session.namespace, workerId: session.workerId, workerName: session.workerName, token, now: this.clock.now() };
  }
}

function workflowTaskRetryDelay(token: TaskTokenParts): number {
  return Math.min(WORKFLOW_TASK_RETRY_CAP_MS, WORKFLOW_TASK_RETRY_MS * 2 ** Math.min(16, token.attempt - 1));
}

function invalid(detail: string): PlatformError {
  return new PlatformError(ErrorCode.RequestInvalid, detail);
}
