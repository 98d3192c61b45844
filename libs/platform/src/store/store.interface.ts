import type {
  Command,
  ExecutionStatus,
  Failure,
  HistoryEvent,
  JsonValue,
  TaskKind,
  TaskTokenParts,
  TaskWire,
} from '#workflows/protocol';

/**
 * Storage of the platform. Every method is one transaction: it commits all of its effects or
 * none. Both engines (SQLite, PostgreSQL) implement it and pass one conformance suite.
 *
 * History events and leased tasks are kept in their wire shape (`HistoryEvent`, `TaskWire`):
 * they are record formats, written once and sent as they are, so no mapping layer sits between.
 * Everything else is camelCase.
 *
 * Errors are thrown as `PlatformError` with a `WF_*` code (unknown execution, stale token, ...).
 */
export interface Store {
  /** Engine name and durability settings, for the startup log. */
  readonly description: string;

  /** Creates or migrates the schema. */
  init(): Promise<void>;
  close(): Promise<void>;

  /**
   * Addition, for several platform processes on one database: calls `listener` with what
   * transitions committed by *other* processes did (tasks queued, executions closed), so that
   * this process wakes its own long-polls and result waiters as it does for its own
   * transitions. Returns the function that unsubscribes. An engine only one process uses
   * (SQLite) never calls the listener.
   */
  subscribe(listener: StoreListener): () => void;

  /** Stores an API key's SHA-256 digest (hex) for a namespace; an existing digest is re-pointed. */
  putApiKey(keyDigest: string, namespace: string, now: number): Promise<void>;
  /** The namespace of a key digest, or `null`. */
  namespaceForKey(keyDigest: string): Promise<string | null>;

  /** Opens a worker session and records the workflows and activities it registered. */
  openWorkerSession(session: WorkerSession): Promise<void>;
  /** Extends a live session; `false` when the session is unknown or expired. */
  touchWorkerSession(namespace: string, workerId: string, now: number, expiresAt: number): Promise<boolean>;
  /** The session, or `null` when it is unknown or belongs to another namespace. */
  getWorkerSession(namespace: string, workerId: string): Promise<WorkerSession | null>;
  /**
   * Addition: the worker is leaving. Its session expires at `now` (at the latest) and every task
   * it holds is offered again at once, as when a session expires but without waiting: a workflow
   * task's attempt is recorded as failed (`WorkerShutdown`) and queued visible now at attempt+1;
   * an activity attempt fails with a retryable `WorkerShutdown` and, within its retry policy, is
   * retried visible now, without backoff. `null` when the namespace has no such session.
   */
  shutdownWorkerSession(namespace: string, workerId: string, now: number): Promise<WorkerShutdownOutcome | null>;
  /**
   * Addition, called once at platform start: every open session (live at `now`, or expired while
   * still holding a lease, i.e. during the downtime) gets the expiry `expiresAt`, so that live
   * workers can heartbeat before their leases are taken back. No expiry is shortened; a session
   * that was shut down, or expired and holds nothing, stays expired. Returns how many changed.
   */
  refreshWorkerSessions(now: number, expiresAt: number): Promise<number>;

  /** Registered workflows; `active` when a session alive at `now` registered it. */
  listWorkflows(namespace: string, now: number): Promise<WorkflowRegistration[]>;
  /** One registered workflow, or `null`. */
  getWorkflow(namespace: string, workflowName: string, now: number): Promise<WorkflowRegistration | null>;

  /**
   * Starts an execution: the execution row, `WORKFLOW_EXECUTION_STARTED`, and a workflow task.
   * When the namespace already has an execution with that id, nothing is written and
   * `created` is false with the existing execution.
   */
  startExecution(params: StartExecutionParams): Promise<StartExecutionOutcome>;
  getExecution(namespace: string, executionId: string): Promise<ExecutionRecord | null>;
  /** Newest first; `cursor` is the opaque `nextCursor` of the previous page. */
  listExecutions(namespace: string, filter: ExecutionFilter, page: PageRequest): Promise<Page<ExecutionRecord>>;
  /** Events with `event_id > afterEventId`, at most `limit`; `null` when the execution is unknown. */
  readHistory(namespace: string, executionId: string, afterEventId: number, limit: number): Promise<HistoryEvent[] | null>;

  /**
   * Leases up to the asked number of queued, visible tasks the session can run (by workflow
   * and activity name), oldest first, each with a new token. An activity task's lease appends
   * `ACTIVITY_TASK_STARTED`. A workflow task carries the run's full history. A session that is
   * not live at `now` leases nothing; a queued task whose deadline has passed is not leased
   * (the timeout sweep fails it). Each lease sets the task's deadline (workflow task timeout;
   * an activity's start-to-close, heartbeat and schedule-to-close timeouts).
   */
  claimTasks(claim: ClaimRequest): Promise<TaskWire[]>;
  /**
   * Addition: hands back leased tasks the worker never received (its poll's client went away
   * after the claim committed). Each task still leased to `workerId` at the token's attempt is
   * queued again at once at attempt+1, recording no failure; the others are left alone.
   */
  releaseTasks(release: TaskRelease): Promise<CreatedTask[]>;

  /**
   * Completes a leased workflow task with its commands: appends `WORKFLOW_TASK_COMPLETED`
   * and the commands' events, queues the activity tasks they schedule, closes the execution
   * on a complete/fail command (closing every other task of the run: their tokens go stale),
   * and queues a new workflow task when resolution events arrived after the ones the task was
   * given. Stale token: `WF_TASK_TOKEN_STALE`.
   *
   * Idempotent retries (all four completion/failure methods): a task is closed, not deleted, at
   * the attempt that closed it, and kept for a while (see {@link Store.purgeClosedTasks}). The
   * same worker presenting the same token again answers `{tasks: [], duplicate: true}` and
   * writes nothing; any other token of a closed task is `WF_TASK_TOKEN_STALE`.
   */
  completeWorkflowTask(completion: WorkflowTaskCompletion): Promise<TransitionOutcome>;
  /**
   * Fails the workflow task's attempt and queues the next one after `retryDelayMs`. The failure
   * is recorded as `WORKFLOW_TASK_FAILED` only when its type and message differ from the previous
   * attempt's (kept on the task), so that a parked execution does not grow its history.
   */
  failWorkflowTask(failure: TaskFailure & { retryDelayMs: number }): Promise<TransitionOutcome>;
  /** Records the activity's result and queues a workflow task. */
  completeActivityTask(completion: ActivityTaskCompletion): Promise<TransitionOutcome>;
  /**
   * Records an activity attempt's failure: per its retry policy either `ACTIVITY_TASK_RETRYING`
   * and the next attempt queued after the backoff, or `ACTIVITY_TASK_FAILED` and a workflow task.
   * A retry that would start at or after the activity's schedule-to-close deadline is not
   * scheduled: the activity fails.
   */
  failActivityTask(failure: TaskFailure): Promise<TransitionOutcome>;
  /**
   * Addition: a leased activity attempt is alive. Records `details` on the task (absent keeps
   * the previous ones; the next attempt's `heartbeat_details` carries the last recorded) and
   * pushes its heartbeat deadline. A workflow task's token is `WF_REQUEST_INVALID`; an attempt
   * not leased to the caller, or whose deadline has passed, is `WF_TASK_TOKEN_STALE`.
   */
  heartbeatActivityTask(heartbeat: ActivityTaskHeartbeat): Promise<HeartbeatOutcome>;

  /**
   * Addition: takes back every task leased by a session expired at `now`, or whose session no
   * longer exists (purged). Each such attempt fails with a `WorkerSessionExpired` failure: a
   * workflow task is recorded as `WORKFLOW_TASK_FAILED` and offered again at once; an activity
   * follows its retry policy like {@link Store.failActivityTask}. The expired worker's tokens
   * are stale afterwards.
   */
  expireLeases(now: number): Promise<NamespaceTasks[]>;
  /**
   * Addition: handles up to `limit` tasks whose deadline is due at `now` (indexed, oldest
   * deadline first), each at most once:
   * - a leased workflow task: `WORKFLOW_TASK_FAILED` (`WorkflowTaskTimeout`, recorded unless it
   *   repeats the last failure) and the next attempt visible now;
   * - a leased activity attempt past its start-to-close or heartbeat timeout: the attempt fails
   *   with `ActivityTimeout` (`details.timeout_type`) by the retry policy;
   * - an activity past its schedule-to-close timeout (queued or leased), or a queued attempt
   *   past its schedule-to-start timeout (counted from when it became visible):
   *   `ACTIVITY_TASK_FAILED`, non-retryable, and a workflow task.
   * `fired` says how many deadlines were taken: when it equals `limit`, more may be due.
   */
  expireTimeouts(now: number, limit: number): Promise<TimeoutSweep>;
  /** Addition: deletes up to `limit` closed tasks closed before `closedBefore`; returns how many. */
  purgeClosedTasks(closedBefore: number, limit: number): Promise<number>;
}

/** What {@link Store.subscribe} reports. */
export interface StoreListener {
  /** Another platform process committed a transition in `namespace` that queued `tasks` or closed an execution. */
  transition(namespace: string, outcome: { tasks: readonly CreatedTask[]; closed?: TransitionOutcome['closed'] }): void;
  /** Reports may have been missed (the connection that receives them was lost and is back): every waiter should look again. */
  resync(): void;
}

/** A worker session: one process that registered, until it stops heartbeating. */
export interface WorkerSession {
  workerId: string;
  namespace: string;
  workerName: string;
  deploymentName: string;
  workflows: string[];
  activities: string[];
  openedAt: number;
  expiresAt: number;
}

/** A workflow name and the deployments that registered it. */
export interface WorkflowRegistration {
  name: string;
  deployments: string[];
  active: boolean;
}

/** What starting an execution needs. */
export interface StartExecutionParams {
  namespace: string;
  executionId: string;
  runId: string;
  workflowName: string;
  deploymentName: string | null;
  input: JsonValue | null;
  now: number;
}

/** The outcome of {@link Store.startExecution}. */
export interface StartExecutionOutcome {
  execution: ExecutionRecord;
  created: boolean;
  tasks: CreatedTask[];
}

/** One execution (its current run). Times are epoch milliseconds. */
export interface ExecutionRecord {
  namespace: string;
  executionId: string;
  runId: string;
  workflowName: string;
  deploymentName: string | null;
  parentExecutionId: string | null;
  rootExecutionId: string;
  status: ExecutionStatus;
  input: JsonValue | null;
  result: JsonValue | null;
  failure: Failure | null;
  startTime: number;
  endTime: number | null;
  lastEventId: number;
}

/** Filters of {@link Store.listExecutions}; absent means any. */
export interface ExecutionFilter {
  workflowName?: string;
  status?: ExecutionStatus;
  deploymentName?: string;
}

/** A page request. */
export interface PageRequest {
  pageSize: number;
  cursor?: string;
}

/** A page and the cursor of the next one (`null` on the last). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** What a poll can take. */
export interface ClaimRequest {
  namespace: string;
  workerId: string;
  workerName: string;
  /** The session's deployment: tasks pinned to another deployment are not claimed. */
  deploymentName: string;
  workflowNames: string[];
  activityNames: string[];
  maxWorkflowTasks: number;
  maxActivityTasks: number;
  now: number;
  /** When the lease ends unless the session heartbeats (used by the liveness sweep). */
  leaseExpiresAt: number;
  /** A leased workflow task not completed within this long times out; 0 means never. */
  workflowTaskTimeoutMs: number;
}

/** The caller of a task operation and its lease. */
export interface TaskCaller {
  namespace: string;
  workerId: string;
  workerName: string;
  token: TaskTokenParts;
  now: number;
}

/** {@link Store.completeWorkflowTask}'s input. */
export interface WorkflowTaskCompletion extends TaskCaller {
  commands: Command[];
}

/** {@link Store.completeActivityTask}'s input. */
export interface ActivityTaskCompletion extends TaskCaller {
  result: JsonValue | null;
}

/** A task attempt's failure. */
export interface TaskFailure extends TaskCaller {
  failure: Failure;
}

/** {@link Store.heartbeatActivityTask}'s input; `details` absent keeps the previous ones. */
export interface ActivityTaskHeartbeat extends TaskCaller {
  details?: JsonValue | null;
}

/** The answer to a heartbeat. */
export interface HeartbeatOutcome {
  /** The activity should stop (cancellation; always false for now). */
  cancelRequested: boolean;
}

/** {@link Store.releaseTasks}'s input: the tokens of the tasks the worker never received. */
export interface TaskRelease {
  namespace: string;
  workerId: string;
  tokens: TaskTokenParts[];
  now: number;
}

/** What {@link Store.shutdownWorkerSession} did. */
export interface WorkerShutdownOutcome {
  /** How many leased tasks the session gave back. */
  released: number;
  /** The tasks queued again, for the matching layer. */
  tasks: CreatedTask[];
}

/** What one {@link Store.expireTimeouts} call did. */
export interface TimeoutSweep {
  /** How many due deadlines were taken. */
  fired: number;
  /** The tasks queued because of them, per namespace. */
  released: NamespaceTasks[];
}

/** A task a transition queued: the matching layer wakes the pollers that can take it. */
export interface CreatedTask {
  kind: TaskKind;
  /** Workflow name for a workflow task, activity name for an activity task. */
  name: string;
  /** The deployment it is pinned to, or `null` when any deployment may take it. */
  deploymentName: string | null;
  /** When it becomes visible (epoch ms); later than now for a retry's backoff. */
  visibleAt: number;
}

/** Tasks queued in one namespace, e.g. by {@link Store.expireLeases}. */
export interface NamespaceTasks {
  namespace: string;
  tasks: CreatedTask[];
}

/** The tasks {@link Store.expireLeases} queued again, per namespace (the former name of {@link NamespaceTasks}). */
export type ExpiredLeases = NamespaceTasks;

/** What a transition did that the layers above react to. */
export interface TransitionOutcome {
  tasks: CreatedTask[];
  /** Set when the transition closed the execution. */
  closed?: { executionId: string; status: ExecutionStatus };
  /** Set when the same token had already closed the task: a retried completion, nothing written. */
  duplicate?: boolean;
}
