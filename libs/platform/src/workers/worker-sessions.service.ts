import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  ErrorCode,
  parseTaskToken,
  type Clock,
  type RegisterWorkerRequest,
  type RegisterWorkerResponse,
  type ShutdownWorkerRequest,
  type ShutdownWorkerResponse,
  type WorkflowRegistrationWire,
} from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';
import { TaskMatcher } from '../matching/task.matcher.js';
import { TransitionPublisher } from '../matching/transition.publisher.js';
import type { ResolvedPlatformOptions } from '../options/platform.options.js';
import { CLOCK, PLATFORM_OPTIONS, STORE } from '../platform.constants.js';
import type { Store, WorkerSession } from '../store/store.interface.js';
import { PayloadValidator } from '../validation/payload.validator.js';

/** Past this many cached sessions, expired ones are dropped from the cache at the next registration. */
const MAX_CACHED_SESSIONS = 1000;

/**
 * Worker sessions: opened at registration, extended by heartbeats. Sessions are kept in
 * memory in front of the store; a cached expiry is only a lower bound (another platform
 * node may have extended it), so an expired-looking session is read again from the store.
 */
@Injectable()
export class WorkerSessionsService {
  private readonly sessions = new Map<string, WorkerSession>();

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PLATFORM_OPTIONS) private readonly options: ResolvedPlatformOptions,
    private readonly matcher: TaskMatcher,
    private readonly publisher: TransitionPublisher,
    private readonly validator: PayloadValidator,
  ) {}

  /**
   * Opens a session for the registered workflows and activities, storing each workflow's input
   * schema and handlers. A schema that does not compile, or a handler name given twice in one
   * kind, is a 422 naming its path, and nothing is opened.
   */
  async register(namespace: string, request: RegisterWorkerRequest): Promise<RegisterWorkerResponse> {
    this.validator.checkDefinitions(request.workflows);
    const now = this.clock.now();
    const session: WorkerSession = {
      workerId: randomUUID(),
      namespace,
      workerName: request.worker_name,
      deploymentName: request.deployment_name,
      workflows: [...new Set(request.workflows.map((w) => w.name))],
      activities: [...new Set(request.activities.map((a) => a.name))],
      openedAt: now,
      expiresAt: now + this.options.sessionTimeoutMs,
      workflowDefinitions: firstOfEachName(request.workflows),
    };
    await this.store.openWorkerSession(session);
    if (this.sessions.size >= MAX_CACHED_SESSIONS) this.forgetExpired(now);
    this.sessions.set(session.workerId, session);
    return {
      worker_id: session.workerId,
      namespace,
      heartbeat_interval_ms: this.options.heartbeatIntervalMs,
      session_timeout_ms: this.options.sessionTimeoutMs,
      poll_wait_ms: this.options.pollWaitMs,
      workflow_task_timeout_ms: this.options.workflowTaskTimeoutMs,
      warnings: [],
    };
  }

  /** Extends a live session; `WF_WORKER_SESSION_NOT_FOUND` when it is unknown, foreign or expired. */
  async heartbeat(namespace: string, workerId: string): Promise<void> {
    const now = this.clock.now();
    const expiresAt = now + this.options.sessionTimeoutMs;
    if (!(await this.store.touchWorkerSession(namespace, workerId, now, expiresAt))) throw notFound(workerId);
    const cached = this.sessions.get(workerId);
    if (cached) cached.expiresAt = expiresAt;
  }

  /**
   * The worker is leaving: its session closes, its waiting polls answer at once, and every task
   * it holds is offered to the other workers now (see `Store.shutdownWorkerSession`): as a failed
   * attempt when it started the task (or does not say which it started), else undelivered.
   * `WF_WORKER_SESSION_NOT_FOUND` when the namespace has no such session.
   */
  async shutdown(namespace: string, workerId: string, request: ShutdownWorkerRequest = {}): Promise<ShutdownWorkerResponse> {
    const now = this.clock.now();
    const started = request.started_task_tokens?.map(parseTaskToken).filter((token) => token !== null);
    const outcome = await this.store.shutdownWorkerSession(namespace, workerId, now, started);
    if (!outcome) throw notFound(workerId);
    const cached = this.sessions.get(workerId);
    if (cached) cached.expiresAt = Math.min(cached.expiresAt, now);
    this.matcher.endPolls(namespace, workerId);
    this.publisher.publish(namespace, { tasks: outcome.tasks });
    return { released: outcome.released };
  }

  /** The caller's session, live or not; `WF_WORKER_SESSION_NOT_FOUND` when unknown or foreign. */
  async session(namespace: string, workerId: string): Promise<WorkerSession> {
    let session = this.sessions.get(workerId);
    if (!session) {
      session = (await this.store.getWorkerSession(namespace, workerId)) ?? undefined;
      if (session) this.sessions.set(workerId, session);
    }
    if (!session || session.namespace !== namespace) throw notFound(workerId);
    return session;
  }

  /** The caller's session if it is live at now; `WF_WORKER_SESSION_NOT_FOUND` otherwise. */
  async liveSession(namespace: string, workerId: string): Promise<WorkerSession> {
    let session = await this.session(namespace, workerId);
    if (session.expiresAt <= this.clock.now()) {
      session = (await this.store.getWorkerSession(namespace, workerId)) ?? session;
      this.sessions.set(workerId, session);
      if (session.expiresAt <= this.clock.now()) {
        this.sessions.delete(workerId);
        throw new PlatformError(ErrorCode.WorkerSessionNotFound, `worker session ${workerId} expired: register again`);
      }
    }
    return session;
  }

  private forgetExpired(now: number): void {
    for (const [workerId, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(workerId);
  }

  /** How long a lease lasts without the session heartbeating. */
  get leaseMs(): number {
    return this.options.sessionTimeoutMs;
  }
}

/** A workflow registered twice in one request counts once, as first given. */
function firstOfEachName(workflows: readonly WorkflowRegistrationWire[]): WorkflowRegistrationWire[] {
  const seen = new Set<string>();
  return workflows.filter((workflow) => !seen.has(workflow.name) && Boolean(seen.add(workflow.name)));
}

function notFound(workerId: string): PlatformError {
  return new PlatformError(ErrorCode.WorkerSessionNotFound, `worker session ${workerId} not found: register first`);
}
