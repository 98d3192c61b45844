import type {
  Command,
  ExecutionStatus,
  Failure,
  HistoryEvent,
  JsonValue,
  TaskKind,
  TaskTokenParts,
  TaskWire,
  WorkflowRegistrationWire,
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
   * Addition, for several platform processes on one database: calls `listener.transition` with
   * what transitions committed by *other* processes did (tasks queued, executions closed), so that
   * this process wakes its own long-polls and result waiters as it does for its own
   * transitions, and `listener.changed` with the executions any transition changed, this
   * process's included. Returns the function that unsubscribes. An engine only one process uses
   * (SQLite) never calls `transition`.
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
   * it holds is offered again at once, without waiting. A task whose token (task id and attempt)
   * is in `startedTokens` ran on the worker and goes back as when a session expires: a workflow
   * task's attempt is recorded as failed (`WorkerShutdown`) and queued visible now at attempt+1;
   * an activity attempt fails with a retryable `WorkerShutdown` and, within its retry policy, is
   * retried visible now, without backoff; a query is queued again. Every other task it holds
   * (leased by a poll or a completion's answer, never started) goes back undelivered as
   * {@link releaseTasks} hands it back: attempt+1, visible now, no failure recorded (an activity
   * the workflow asked to stop ends as cancelled). Without `startedTokens` (an older worker),
   * every task it holds counts as started. `released` counts every task given back. `null` when
   * the namespace has no such session.
   */
  shutdownWorkerSession(namespace: string, workerId: string, now: number, startedTokens?: readonly TaskTokenParts[]): Promise<WorkerShutdownOutcome | null>;
  /**
   * Addition, called once at platform start: every open session (live at `now`, or expired while
   * still holding a lease, i.e. during the downtime) gets the expiry `expiresAt`, so that live
   * workers can heartbeat before their leases are taken back. No expiry is shortened; a session
   * that was shut down, or expired and holds nothing, stays expired. Returns how many changed.
   */
  refreshWorkerSessions(now: number, expiresAt: number): Promise<number>;

  /** Registered workflows; `active` when a session alive at `now` registered it. */
  listWorkflows(namespace: string, now: number): Promise<WorkflowRegistration[]>;
  /**
   * One registered workflow, or `null`. With `deploymentName`, its `definition` is that
   * deployment's (`null` when that deployment never registered the workflow).
   */
  getWorkflow(namespace: string, workflowName: string, now: number, deploymentName?: string | null): Promise<WorkflowRegistration | null>;

  /**
   * Starts an execution: the execution row, `WORKFLOW_EXECUTION_STARTED`, and a workflow task.
   * When the namespace already has an execution with that id, nothing is written and
   * `created` is false with the existing execution.
   */
  startExecution(params: StartExecutionParams): Promise<StartExecutionOutcome>;
  getExecution(namespace: string, executionId: string): Promise<ExecutionRecord | null>;
  /** Newest first; `cursor` is the opaque `nextCursor` of the previous page. */
  listExecutions(namespace: string, filter: ExecutionFilter, page: PageRequest): Promise<Page<ExecutionRecord>>;
  /**
   * Events with `event_id > afterEventId`, at most `limit`, of the execution's current run, or of
   * `runId` (addition, issue 6: a run it continued as new from); `null` when the execution is
   * unknown or `runId` is not one of its runs.
   */
  readHistory(namespace: string, executionId: string, afterEventId: number, limit: number, runId?: string): Promise<HistoryEvent[] | null>;

  /**
   * Leases up to the asked number of queued, visible tasks the session can run (by workflow
   * and activity name), oldest first, each with a new token. Query tasks share the workflow
   * slots and are taken first (a caller waits on each; they do not wait for the run's workflow
   * task). An activity task's lease appends `ACTIVITY_TASK_STARTED`. A workflow or query task
   * carries the run's full history. A session that is
   * not live at `now` leases nothing; a queued task whose deadline has passed is not leased
   * (the timeout sweep fails it). Each lease sets the task's deadline (workflow task timeout;
   * an activity's start-to-close, heartbeat and schedule-to-close timeouts).
   */
  claimTasks(claim: ClaimRequest): Promise<TaskWire[]>;
  /**
   * Addition: hands back leased tasks the worker never received (its poll's client went away
   * after the claim committed). Each task still leased to `workerId` at the token's attempt is
   * queued again at once at attempt+1, recording no failure (a query's deadline stays); an
   * activity attempt the workflow asked to stop ends instead (`ACTIVITY_TASK_CANCELED`, and a
   * workflow task). The others are left alone.
   */
  releaseTasks(release: TaskRelease): Promise<CreatedTask[]>;

  /**
   * Completes a leased workflow task with its commands: appends `WORKFLOW_TASK_COMPLETED`
   * and the commands' events, queues the activity tasks and timers they start, cancels timers
   * and activities (a queued activity at once, `ACTIVITY_TASK_CANCELED` after the commands'
   * events; a leased one through its heartbeat), closes the execution on a complete/fail/cancel
   * command (closing every other task of the run but its queries: their tokens go stale), and
   * queues a new workflow task when resolution events arrived after the ones the task was given.
   *
   * Continue-as-new (addition, issue 6): `CONTINUE_AS_NEW` closes the run like a completion
   * (`WORKFLOW_EXECUTION_CONTINUED_AS_NEW` naming a new run id) and, in the same transaction,
   * starts the new run under the same execution id: the execution row points to it (status
   * `RUNNING`, new start time, same parent, root and deployment), its history begins with
   * `WORKFLOW_EXECUTION_STARTED` (`continued_from_run_id`), and its workflow task is queued. The
   * old run's history stays readable by its run id. `closed` reports `CONTINUED_AS_NEW`.
   *
   * History limits (addition, issue 6, with `historyLimits`): a completion that keeps the run open
   * and would take its history past `maxEvents` is not applied: the run ends `FAILED`
   * (`HistoryLimitExceeded`). A completion that closes the run (continue-as-new included) is
   * always applied. The first completion that leaves the history at or past `warnEvents` reports
   * `historyWarning`, once per run.
   * Stale token: `WF_TASK_TOKEN_STALE`; invalid commands: `WF_REQUEST_INVALID` naming the index.
   *
   * A completion that would close the run while an external event (`EXTERNAL_EVENT_TYPES`)
   * arrived after the task's events is not applied: its attempt fails as `WORKFLOW_TASK_FAILED`
   * (`UnhandledExternalEvent`, recorded unless it repeats the last failure) and the next attempt
   * is queued at once; the worker gets a normal outcome with that task, so that no signal,
   * update or cancellation is lost.
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
   * scheduled: the activity fails. An attempt the workflow asked to stop is not retried: its end
   * (this failure, a timeout, a lost worker) is recorded as `ACTIVITY_TASK_CANCELED`.
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
   * follows its retry policy like {@link Store.failActivityTask}; a query is queued again at
   * attempt+1, recording nothing. The expired worker's tokens are stale afterwards.
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
   *   `ACTIVITY_TASK_FAILED`, non-retryable, and a workflow task;
   * - a durable timer: `TIMER_FIRED` and a workflow task (timers that fell due while no
   *   platform ran fire at the first sweep);
   * - a query task (queued or leased): closed unanswered ({@link Store.getQueryAnswer}: `gone`).
   * `fired` says how many deadlines were taken: when it equals `limit`, more may be due.
   */
  expireTimeouts(now: number, limit: number): Promise<TimeoutSweep>;
  /** Addition: deletes up to `limit` closed tasks closed before `closedBefore`; returns how many. */
  purgeClosedTasks(closedBefore: number, limit: number): Promise<number>;

  // --- Talking to running executions (issue 5) -------------------------------------------

  /**
   * Appends `WORKFLOW_EXECUTION_SIGNALED` and makes sure a workflow task follows. Unknown
   * execution: `WF_EXECUTION_NOT_FOUND`; closed: `WF_EXECUTION_CLOSED` naming its status.
   */
  signalExecution(params: SignalExecutionParams): Promise<ExternalEventOutcome>;
  /**
   * Appends `WORKFLOW_EXECUTION_CANCEL_REQUESTED` and makes sure a workflow task follows; a
   * second request while the first is pending appends nothing (`appended: false`). Unknown:
   * `WF_EXECUTION_NOT_FOUND`; closed: `WF_EXECUTION_CLOSED`.
   */
  requestCancelExecution(params: ExecutionActionParams): Promise<ExternalEventOutcome>;
  /**
   * Ends the run at once: `WORKFLOW_EXECUTION_TERMINATED` with the reason, status `TERMINATED`,
   * every task of the run closed (timers included; tokens stale) but its queries, which a closed
   * run still answers. Unknown: `WF_EXECUTION_NOT_FOUND`; closed: `WF_EXECUTION_CLOSED`.
   */
  terminateExecution(params: ExecutionActionParams): Promise<ExternalEventOutcome>;
  /**
   * Appends `WORKFLOW_EXECUTION_UPDATE_ACCEPTED` and makes sure a workflow task follows. An update
   * id the run already accepted appends nothing (`appended: false`), whatever its state, so that a
   * retried request waits for the same update. Unknown: `WF_EXECUTION_NOT_FOUND`; closed (and the
   * id not accepted before): `WF_EXECUTION_CLOSED`.
   */
  acceptUpdate(params: AcceptUpdateParams): Promise<ExternalEventOutcome>;
  /** Where an accepted update stands; `null` when the execution or the update id is unknown. */
  getUpdateOutcome(namespace: string, executionId: string, updateId: string): Promise<UpdateOutcome | null>;

  /**
   * Queues a query task for the execution's current run (closed runs too: the worker replays the
   * history). It is claimed like a workflow task (same names, same slots, the full history) and
   * never records an event; it stays open when its run closes. Its deadline is `deadlineAt`: the
   * timeout sweep closes it unanswered. Unknown execution: `WF_EXECUTION_NOT_FOUND`.
   */
  createQueryTask(params: CreateQueryParams): Promise<CreatedQuery>;
  /**
   * Records a leased query task's answer (`result`, or `failure` when the handler threw) and
   * closes it. Token checks as for the other tasks (stale, not found, duplicate retry).
   */
  answerQueryTask(answer: QueryTaskAnswer): Promise<TransitionOutcome>;
  /** A query task's state; `gone` when unknown, timed out or abandoned. */
  getQueryAnswer(namespace: string, taskId: number): Promise<QueryAnswer>;
  /** Closes an unanswered query task (the caller stopped waiting); a later answer gets 409. */
  abandonQueryTask(namespace: string, taskId: number, now: number): Promise<void>;
}

/** What {@link Store.subscribe} reports. */
export interface StoreListener {
  /** Another platform process committed a transition in `namespace` that queued `tasks` or closed an execution. */
  transition(namespace: string, outcome: { tasks: readonly CreatedTask[]; closed?: TransitionOutcome['closed'] }): void;
  /**
   * Addition (issue 5): transitions committed by *any* process, this one included, appended
   * events to these executions or answered one of their queries. Called after the commit, so a
   * read made in the call sees the change. Feeds live event streams and update/query waits.
   */
  changed?(namespace: string, executionIds: readonly string[]): void;
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
  /**
   * Addition (issue 5): each workflow's input schema and handlers as registered, stored with the
   * registration (per namespace, workflow and deployment), not with the session:
   * {@link Store.getWorkerSession} does not return them. Absent or missing a name: nothing declared.
   */
  workflowDefinitions?: WorkflowRegistrationWire[];
}

/** A workflow name and the deployments that registered it. */
export interface WorkflowRegistration {
  name: string;
  deployments: string[];
  active: boolean;
  /**
   * Addition (issue 5): the definition of its most recent registration (any deployment), or of
   * `deploymentName`'s when {@link Store.getWorkflow} is given one; `null` when none was stored.
   */
  definition?: WorkflowRegistrationWire | null;
}

/** What starting an execution needs; `next` (addition, issue 11): a waiting poll's claim, leased the new workflow task in the same transaction (sync match). */
export interface StartExecutionParams extends EagerLease {
  namespace: string;
  executionId: string;
  runId: string;
  workflowName: string;
  deploymentName: string | null;
  input: JsonValue | null;
  now: number;
  /**
   * Addition (issue 5), signal-with-start: also appends this signal. When the execution exists and
   * is running, only the signal is appended (`created: false`, `signaled: true`); when it exists
   * and is closed, nothing is written (`signaled: false`).
   */
  signal?: { name: string; input: JsonValue | null };
}

/** The outcome of {@link Store.startExecution}. */
export interface StartExecutionOutcome {
  execution: ExecutionRecord;
  created: boolean;
  tasks: CreatedTask[];
  /** Set with `signal`: whether the signal was appended. */
  signaled?: boolean;
  /** Addition (issue 11): the workflow task leased to `next`'s poll; `tasks` no longer lists it. */
  leased?: TaskWire[];
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
  /**
   * Set by {@link Store.getExecution}: why the run's workflow task keeps failing (type and
   * message of its last failure, e.g. a non-determinism error), or `null` when it is not failing.
   */
  pendingTaskFailure?: Failure | null;
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
  /** Addition (issue 6): a workflow task whose history is at least this long suggests continuing as new. @default never */
  historyWarnEvents?: number;
}

/** The caller of a task operation and its lease. */
export interface TaskCaller {
  namespace: string;
  workerId: string;
  workerName: string;
  token: TaskTokenParts;
  now: number;
}

/**
 * Addition (issue 11), eager dispatch: the completing worker's claim. After the transition, in
 * the same transaction, the tasks it created that this claim can take (its names, deployment and
 * slots; a sticky workflow task only by its holder) are leased to it and returned in
 * `TransitionOutcome.leased`, and are no longer announced to other pollers.
 */
export interface EagerLease {
  next?: ClaimRequest;
}

/** {@link Store.completeWorkflowTask}'s input. */
export interface WorkflowTaskCompletion extends TaskCaller, EagerLease {
  commands: Command[];
  /** Addition (issue 6): the history limits to enforce; absent, none. */
  historyLimits?: HistoryLimits;
  /**
   * Addition (issue 6): `START_CHILD_WORKFLOW` commands (by child id) whose child must not start,
   * and why (the caller checked the workflow's registration and input): recorded as
   * `START_CHILD_WORKFLOW_EXECUTION_FAILED`.
   */
  childStartFailures?: ReadonlyMap<number, Failure>;
}

/** A run's history limits, in events (`WORKFLOWS_HISTORY_WARN_EVENTS`, `WORKFLOWS_HISTORY_MAX_EVENTS`). */
export interface HistoryLimits {
  /** At or past it, workflow tasks suggest continuing as new and the run is warned of once. */
  warnEvents: number;
  /** A completion that would take an open run past it ends the run `FAILED` (`HistoryLimitExceeded`). */
  maxEvents: number;
}

/** {@link Store.completeActivityTask}'s input. */
export interface ActivityTaskCompletion extends TaskCaller, EagerLease {
  result: JsonValue | null;
}

/** A task attempt's failure. */
export interface TaskFailure extends TaskCaller, EagerLease {
  failure: Failure;
}

/** {@link Store.heartbeatActivityTask}'s input; `details` absent keeps the previous ones. */
export interface ActivityTaskHeartbeat extends TaskCaller {
  details?: JsonValue | null;
}

/** The answer to a heartbeat. */
export interface HeartbeatOutcome {
  /** The workflow asked the activity to stop (`REQUEST_CANCEL_ACTIVITY`). */
  cancelRequested: boolean;
}

/** {@link Store.signalExecution}'s input. */
export interface SignalExecutionParams {
  namespace: string;
  executionId: string;
  signalName: string;
  input: JsonValue | null;
  now: number;
}

/** {@link Store.requestCancelExecution} and {@link Store.terminateExecution}'s input. */
export interface ExecutionActionParams {
  namespace: string;
  executionId: string;
  reason: string | null;
  now: number;
}

/** {@link Store.acceptUpdate}'s input. */
export interface AcceptUpdateParams {
  namespace: string;
  executionId: string;
  updateId: string;
  updateName: string;
  input: JsonValue | null;
  now: number;
}

/** What a signal, cancel request, termination or update acceptance did. */
export interface ExternalEventOutcome extends TransitionOutcome {
  /** The execution after the transition. */
  execution: ExecutionRecord;
  /** False when nothing was written (a repeated cancel request, an update id already accepted). */
  appended: boolean;
}

/** Where an update stands. */
export type UpdateOutcome =
  | { stage: 'accepted'; acceptedEventId: number; executionStatus: ExecutionStatus }
  | { stage: 'completed'; acceptedEventId: number; result: JsonValue | null; failure: Failure | null };

/** {@link Store.createQueryTask}'s input. */
export interface CreateQueryParams {
  namespace: string;
  executionId: string;
  queryName: string;
  input: JsonValue | null;
  now: number;
  deadlineAt: number;
}

/** The query task queued, for the matching layer and the waiting request. */
export interface CreatedQuery {
  taskId: number;
  task: CreatedTask;
  execution: ExecutionRecord;
}

/** {@link Store.answerQueryTask}'s input: exactly one of `result` and `failure`. */
export interface QueryTaskAnswer extends TaskCaller {
  result?: JsonValue | null;
  failure?: Failure;
}

/** A query task's state. */
export type QueryAnswer =
  | { state: 'pending' }
  | { state: 'answered'; result: JsonValue | null; failure: Failure | null }
  | { state: 'gone' };

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
  /** Addition (issue 11): the task's id, where the transition knows it (eager dispatch leases it by id). */
  taskId?: number;
  /** `timer`: a durable timer due at `visibleAt`; no worker takes it, the timeout sweep fires it. */
  kind: TaskKind | 'timer';
  /** Workflow name for a workflow or query task, activity name for an activity task. */
  name: string;
  /** The deployment it is pinned to, or `null` when any deployment may take it. */
  deploymentName: string | null;
  /** When it becomes visible (epoch ms); later than now for a retry's backoff. */
  visibleAt: number;
  /**
   * A workflow task offered first to the worker that holds its run in memory (sticky execution):
   * until `until`, only that worker may claim it, unless its session has ended.
   */
  sticky?: { workerId: string; until: number };
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
  /** Addition (issue 6): other executions the transition closed (children terminated by their parent's close). */
  alsoClosed?: { executionId: string; status: ExecutionStatus }[];
  /** Set when the same token had already closed the task: a retried completion, nothing written. */
  duplicate?: boolean;
  /** Addition (issue 6): the completion left the run's history at or past the warn limit, for the first time in this run. */
  historyWarning?: { executionId: string; runId: string; historyLength: number };
  /** Addition (issue 11): the created tasks leased to the completing worker ({@link EagerLease}); `tasks` no longer lists them. */
  leased?: TaskWire[];
}
