import { Inject, Injectable } from '@nestjs/common';
import {
  ErrorCode,
  parseTaskToken,
  type Clock,
  type CompleteTaskRequest,
  type FailTaskRequest,
  type PollTasksRequest,
  type TaskSlots,
  type TaskTokenParts,
  type TaskWire,
  type TasksResponse,
} from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';
import { TaskMatcher } from '../matching/task.matcher.js';
import { TransitionPublisher } from '../matching/transition.publisher.js';
import type { ResolvedPlatformOptions } from '../options/platform.options.js';
import { CLOCK, PLATFORM_OPTIONS, STORE } from '../platform.constants.js';
import type { Store, TaskCaller, TransitionOutcome, WorkerSession } from '../store/store.interface.js';
import { WorkerSessionsService } from '../workers/worker-sessions.service.js';

/** The first retry of a failed workflow task waits this long, doubling per attempt up to the cap. */
const WORKFLOW_TASK_RETRY_MS = 1000;
const WORKFLOW_TASK_RETRY_CAP_MS = 60_000;

/** The worker protocol's task operations: poll, complete, fail. */
@Injectable()
export class TasksService {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PLATFORM_OPTIONS) private readonly options: ResolvedPlatformOptions,
    private readonly sessions: WorkerSessionsService,
    private readonly matcher: TaskMatcher,
    private readonly publisher: TransitionPublisher,
  ) {}

  /** Leases tasks to a live session, holding the poll until some come or the wait ends. */
  async poll(namespace: string, request: PollTasksRequest, signal?: AbortSignal): Promise<TasksResponse> {
    const session = await this.sessions.liveSession(namespace, request.worker_id);
    const tasks = await this.matcher.poll({
      session,
      maxWorkflowTasks: request.max_workflow_tasks,
      maxActivityTasks: request.max_activity_tasks,
      waitMs: request.wait_ms ?? this.options.pollWaitMs,
      leaseMs: this.sessions.leaseMs,
      signal,
    });
    return { tasks };
  }

  /** Completes a leased task, then leases up to `next` more without waiting. */
  async complete(namespace: string, request: CompleteTaskRequest): Promise<TasksResponse> {
    const session = await this.sessions.session(namespace, request.worker_id);
    const caller = this.caller(session, request.task_token);
    let outcome: TransitionOutcome;
    if (caller.token.kind === 'workflow') {
      if (request.commands === undefined) throw invalid('commands is required to complete a workflow task');
      if (request.result !== undefined) throw invalid('result is not accepted for a workflow task: send a COMPLETE_WORKFLOW command');
      outcome = await this.store.completeWorkflowTask({ ...caller, commands: request.commands });
    } else {
      if (request.commands !== undefined) throw invalid('commands is only accepted for a workflow task');
      outcome = await this.store.completeActivityTask({ ...caller, result: request.result ?? null });
    }
    return { tasks: await this.afterTransition(session, outcome, request.next) };
  }

  /** Records a leased task's failure, then leases up to `next` more without waiting. */
  async fail(namespace: string, request: FailTaskRequest): Promise<TasksResponse> {
    const session = await this.sessions.session(namespace, request.worker_id);
    const caller = this.caller(session, request.task_token);
    const outcome =
      caller.token.kind === 'workflow'
        ? await this.store.failWorkflowTask({ ...caller, failure: request.failure, retryDelayMs: workflowTaskRetryDelay(caller.token) })
        : await this.store.failActivityTask({ ...caller, failure: request.failure });
    return { tasks: await this.afterTransition(session, outcome, request.next) };
  }

  /**
   * The committed transition's tasks are announced to waiting polls first, then the completing
   * worker (warm, and asking) may lease some at once. The completion has committed: a failed
   * eager claim only means no tasks come back with it.
   */
  private async afterTransition(session: WorkerSession, outcome: TransitionOutcome, next?: TaskSlots): Promise<TaskWire[]> {
    this.publisher.publish(session.namespace, outcome);
    if (!next || (next.max_workflow_tasks <= 0 && next.max_activity_tasks <= 0) || session.expiresAt <= this.clock.now()) return [];
    try {
      return await this.matcher.claim({
        session,
        maxWorkflowTasks: next.max_workflow_tasks,
        maxActivityTasks: next.max_activity_tasks,
        leaseMs: this.sessions.leaseMs,
      });
    } catch {
      return [];
    }
  }

  private caller(session: WorkerSession, taskToken: string): TaskCaller {
    const token = parseTaskToken(taskToken);
    if (!token) throw new PlatformError(ErrorCode.TaskTokenInvalid, 'task_token is not a task token (expected w<id>.<attempt> or a<id>.<attempt>)');
    return { namespace: session.namespace, workerId: session.workerId, workerName: session.workerName, token, now: this.clock.now() };
  }
}

function workflowTaskRetryDelay(token: TaskTokenParts): number {
  return Math.min(WORKFLOW_TASK_RETRY_CAP_MS, WORKFLOW_TASK_RETRY_MS * 2 ** Math.min(16, token.attempt - 1));
}

function invalid(detail: string): PlatformError {
  return new PlatformError(ErrorCode.RequestInvalid, detail);
}
