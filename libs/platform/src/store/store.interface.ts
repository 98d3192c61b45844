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
 * none. Both engines (SQLite now, PostgreSQL next) implement it and pass one conformance suite.
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
   * `ACTIVITY_TASK_STARTED`. A workflow task carries the run's full history.
   */
  claimTasks(claim: ClaimRequest): Promise<TaskWire[]>;

  /**
   * Completes a leased workflow task with its commands: appends `WORKFLOW_TASK_COMPLETED`
   * and the commands' events, queues the activity tasks they schedule, closes the execution
   * on a complete/fail command, and queues a new workflow task when resolution events arrived
   * after the ones the task was given. Stale token: `WF_TASK_TOKEN_STALE`.
   */
  completeWorkflowTask(completion: WorkflowTaskCompletion): Promise<TransitionOutcome>;
  /** Records `WORKFLOW_TASK_FAILED` and queues the task again (next attempt) after `retryDelayMs`. */
  failWorkflowTask(failure: TaskFailure & { retryDelayMs: number }): Promise<TransitionOutcome>;
  /** Records the activity's result and queues a workflow task. */
  completeActivityTask(completion: ActivityTaskCompletion): Promise<TransitionOutcome>;
  /**
   * Records an activity attempt's failure: per its retry policy either `ACTIVITY_TASK_RETRYING`
   * and the next attempt queued after the backoff, or `ACTIVITY_TASK_FAILED` and a workflow task.
   */
  failActivityTask(failure: TaskFailure): Promise<TransitionOutcome>;

  /**
   * Addition: takes back every task leased by a session expired at `now`. Each such attempt
   * fails with a `WorkerSessionExpired` failure: a workflow task is recorded as
   * `WORKFLOW_TASK_FAILED` and offered again at once; an activity follows its retry policy
   * like {@link Store.failActivityTask}. The expired worker's tokens are stale afterwards.
   */
  expireLeases(now: number): Promise<ExpiredLeases[]>;
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

/** The tasks {@link Store.expireLeases} queued again, per namespace. */
export interface ExpiredLeases {
  namespace: string;
  tasks: CreatedTask[];
}

/** What a transition did that the layers above react to. */
export interface TransitionOutcome {
  tasks: CreatedTask[];
  /** Set when the transition closed the execution. */
  closed?: { executionId: string; status: ExecutionStatus };
}
