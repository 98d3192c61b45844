import {
  CommandType,
  EventType,
  EXTERNAL_EVENT_TYPES,
  RESOLUTION_EVENT_TYPES,
  type ActivityTaskWire,
  type Command,
  type HistoryEvent,
  type QueryTaskWire,
  type TaskKind,
  type TaskWire,
  type WorkflowTaskWire,
} from '#workflows/protocol';
import {
  planWorkflowTaskCompletion,
  unhandledExternalEventFailure,
  type RunCommandState,
} from '../../executions/workflow-task.planner.js';
import {
  COMMAND_STATE_EVENT_TYPES,
  exceedsHistoryLimit,
  failedEvent,
  historyLimitClose,
  historyWarningDue,
  runCommandState,
  type CommandStateRow,
  type UpdateEventRow,
} from '../execution-transition.rules.js';
import { closedOutcome } from '../child-workflow.rules.js';
import type {
  ActivityTaskCompletion,
  ActivityTaskHeartbeat,
  ClaimRequest,
  CreatedTask,
  HeartbeatOutcome,
  TaskCaller,
  TaskFailure,
  TransitionOutcome,
  WorkflowTaskCompletion,
} from '../store.interface.js';
import { toHistoryEvent, toJson, type HistoryEventRow, type TaskRow } from '../store.rows.js';
import {
  DUPLICATE_OUTCOME,
  activityIds,
  activityTaskPayload,
  checkHeartbeatToken,
  checkLeasedTask,
  checkNotTimedOut,
  leasedActivityDeadline,
  payloadOf,
  toActivityTaskWire,
  toWorkflowTaskWire,
  eagerPicks,
  heldUpTo,
  withLeased,
  STICKY_CLAIM_CONDITION,
} from '../task-transition.rules.js';
import { toQueryTaskWire } from '../query-task.rules.js';
import type { SqliteRunWriter } from './sqlite-run.writer.js';
import { LIMIT_PARAM, kindLiteral, type SqliteStatements } from './sqlite.statements.js';

/** The SQL list of event types, for an `IN (...)` of constants. */
const sqlList = (types: Iterable<string>): string => [...types].map((type) => `'${type}'`).join(', ');
const RESOLUTION_TYPES_SQL = sqlList(RESOLUTION_EVENT_TYPES);
const EXTERNAL_TYPES_SQL = sqlList(EXTERNAL_EVENT_TYPES);
const COMMAND_STATE_TYPES_SQL = sqlList(COMMAND_STATE_EVENT_TYPES);

/**
 * The task transitions of {@link SqliteStore} a worker drives: claim, complete, fail and
 * heartbeat. Each method runs inside the store's transaction.
 */
export class SqliteTaskTransitions {
  constructor(
    private readonly statements: SqliteStatements,
    private readonly writer: SqliteRunWriter,
  ) {}

  /**
   * Leases the oldest visible tasks the claim can take: queries first (a caller waits on each,
   * and they never wait behind their run's workflow task), then workflow tasks in the slots left,
   * then activity tasks. A session that is not live at `now` (expired, shut down or unknown)
   * leases nothing, and a task whose deadline has passed is left to the timeout sweep.
   */
  claim(claim: ClaimRequest): TaskWire[] {
    const live = this.statements
      .get('SELECT 1 FROM worker_sessions WHERE worker_id = ? AND namespace = ? AND expires_at > ?')
      .get(claim.workerId, claim.namespace, claim.now);
    if (!live) return [];
    const queries = this.candidates(claim, 'query', claim.workflowNames, claim.maxWorkflowTasks).map((task) => this.leaseQueryTask(task, claim));
    const workflows = this.candidates(claim, 'workflow', claim.workflowNames, claim.maxWorkflowTasks - queries.length);
    const activities = this.candidates(claim, 'activity', claim.activityNames, claim.maxActivityTasks);
    return [
      ...queries,
      ...workflows.map((task) => this.leaseWorkflowTask(task, claim)),
      ...activities.map((task) => this.leaseActivityTask(task, claim)),
    ];
  }

  /** Eager dispatch: leases to the completing worker's claim the tasks the transition created that it can take (see `EagerLease`). */
  leaseCreated<T extends Pick<TransitionOutcome, 'tasks' | 'duplicate' | 'leased'>>(outcome: T, claim: ClaimRequest | undefined): T {
    if (!claim || outcome.duplicate) return outcome;
    const picks = eagerPicks(outcome.tasks, claim);
    if (picks.length === 0) return outcome;
    const select = this.statements.get(`SELECT * FROM tasks WHERE id = ? AND state = 'queued'`);
    const leased: TaskWire[] = [];
    for (const taskId of picks) {
      const task = select.get(taskId) as TaskRow | undefined;
      if (task) leased.push(task.kind === 'workflow' ? this.leaseWorkflowTask(task, claim) : this.leaseActivityTask(task, claim));
    }
    return withLeased(outcome, leased);
  }

  /**
   * Records a workflow task's commands (see `Store.completeWorkflowTask`). Commands that would
   * close the run while an external event (signal, update, cancellation request) arrived after
   * the task's events are not applied: the attempt fails (`UnhandledExternalEvent`) and the next
   * one, given that event, is offered at once.
   */
  completeWorkflowTask(completion: WorkflowTaskCompletion): TransitionOutcome {
    const task = this.leasedTask(completion, 'workflow', true);
    if (!task) return DUPLICATE_OUTCOME;
    const row = this.writer.runRow(task.run_id);
    const lastSeenEventId = task.last_seen_event_id ?? 0;
    const now = completion.now;
    const plan = planWorkflowTaskCompletion({
      commands: completion.commands,
      lastSeenEventId,
      workerName: completion.workerName,
      attempt: task.attempt,
      firstEventId: row.last_event_id + 1,
      now,
      run: this.commandState(row.run_id, completion.commands),
      workflowName: row.workflow_name,
      // The task's history was `lastSeenEventId` long when it was leased: as the wire told the worker.
      continueAsNewSuggested: completion.historyLimits !== undefined && lastSeenEventId >= completion.historyLimits.warnEvents,
    });
    const limits = completion.historyLimits;
    // Each child adds its start (or its failure to start) to the run's history too.
    if (!plan.close && exceedsHistoryLimit(row.last_event_id, plan.events.length + plan.children.length, limits)) {
      // The commands are not applied: the platform ends the run, which cannot grow any further.
      const close = historyLimitClose(row.last_event_id, limits!);
      this.writer.append(row, [failedEvent(close.failure!)], now);
      this.writer.closeTask(task.id, now, true);
      return closedOutcome(row.execution_id, close.status, this.writer.closeRun(row, close, now));
    }
    if (plan.close) {
      const unhandled = this.statements
        .get(`SELECT event_id, event_type FROM history_events WHERE run_id = ? AND event_id > ? AND event_type IN (${EXTERNAL_TYPES_SQL}) ORDER BY event_id LIMIT 1`)
        .get(row.run_id, lastSeenEventId) as { event_id: number; event_type: string } | undefined;
      if (unhandled) return this.writer.failWorkflowAttempt(task, unhandledExternalEventFailure(unhandled), completion.workerName, now, 0);
    }
    const appended = this.writer.append(row, plan.events, now);
    this.writer.closeTask(task.id, now, true);
    const children = this.writer.children.start(row, plan.children, completion.childStartFailures, now);
    if (plan.close) {
      // A closed run accepts no event: whatever it still had queued or leased is closed, its tokens stale.
      const cascade = this.writer.closeRun(row, plan.close, now);
      const outcome = closedOutcome(row.execution_id, plan.close.status, cascade);
      outcome.tasks.unshift(...children.tasks);
      if (plan.close.continueAsNew) outcome.tasks.push(this.writer.continueAsNew(row, plan.close.continueAsNew, now));
      return outcome;
    }
    // The worker that answered holds the run in memory: its next workflow tasks are offered to it first.
    this.writer.setStickyWorker(row, completion.workerId, lastSeenEventId);
    const tasks: CreatedTask[] = plan.activities.map(({ eventIndex, command }) =>
      this.writer.queueActivityTask(row, now, activityTaskPayload(row, command, appended[eventIndex]!.event_id, now), command.activity_name),
    );
    tasks.push(...plan.timers.map((timer) => this.writer.queueTimerTask(row, timer)));
    this.writer.closeTimers(row.run_id, plan.canceledTimerIds, now);
    this.writer.cancelActivities(row, plan.activityCancels, now);
    // The children's starts are recorded after the completion's own events; the next workflow task sees them.
    this.writer.append(row, children.events, now);
    tasks.push(...children.tasks, ...this.writer.children.cancel(row, plan.childCancels, now));
    const resolvedMeanwhile = this.statements
      .get(`SELECT 1 FROM history_events WHERE run_id = ? AND event_id > ? AND event_type IN (${RESOLUTION_TYPES_SQL}) LIMIT 1`)
      .get(row.run_id, lastSeenEventId);
    if (resolvedMeanwhile) tasks.push(this.writer.queueWorkflowTask(row, now));
    if (!historyWarningDue(row.last_event_id, row.history_warned, limits)) return { tasks };
    this.writer.markHistoryWarned(row);
    return { tasks, historyWarning: { executionId: row.execution_id, runId: row.run_id, historyLength: row.last_event_id } };
  }

  /** Records `WORKFLOW_TASK_FAILED` (unless it repeats the last one) and queues the next attempt after the delay. */
  failWorkflowTask(failure: TaskFailure & { retryDelayMs: number }): TransitionOutcome {
    const task = this.leasedTask(failure, 'workflow', true);
    if (!task) return DUPLICATE_OUTCOME;
    return this.writer.failWorkflowAttempt(task, failure.failure, failure.workerName, failure.now, failure.retryDelayMs);
  }

  /** Records an activity's result and makes sure the workflow task follows. */
  completeActivityTask(completion: ActivityTaskCompletion): TransitionOutcome {
    const task = this.leasedTask(completion, 'activity', true);
    if (!task) return DUPLICATE_OUTCOME;
    const row = this.writer.runRow(task.run_id);
    const attributes = { ...activityIds(payloadOf(task), task), result: completion.result };
    this.writer.append(row, [{ event_type: EventType.ActivityTaskCompleted, attributes }], completion.now);
    this.writer.closeTask(task.id, completion.now, true);
    return { tasks: this.writer.ensureWorkflowTask(row, completion.now) };
  }

  /** Records an activity attempt's failure: a retry after the backoff, or the activity's failure. */
  failActivityTask(failure: TaskFailure): TransitionOutcome {
    const task = this.leasedTask(failure, 'activity', true);
    if (!task) return DUPLICATE_OUTCOME;
    return this.writer.failActivityAttempt(task, failure.failure, failure.now, { keepHolder: true });
  }

  /** Records an activity attempt's heartbeat (see `Store.heartbeatActivityTask`). */
  heartbeatActivityTask(heartbeat: ActivityTaskHeartbeat): HeartbeatOutcome {
    checkHeartbeatToken(heartbeat);
    const task = this.leasedTask(heartbeat, 'activity', false)!;
    checkNotTimedOut(task, heartbeat);
    const deadline = leasedActivityDeadline(task, task.leased_at, heartbeat.now);
    const details = heartbeat.details === undefined ? task.heartbeat_details : toJson(heartbeat.details);
    this.statements
      .get('UPDATE tasks SET heartbeat_at = ?, heartbeat_details = ?, deadline_at = ? WHERE id = ?')
      .run(heartbeat.now, details, deadline, task.id);
    return { cancelRequested: task.cancel_requested === 1 };
  }

  /** Up to `max` queued, visible tasks of one kind the claim may take, oldest first. */
  private candidates(claim: ClaimRequest, kind: TaskKind, names: readonly string[], max: number): TaskRow[] {
    if (max <= 0 || names.length === 0) return [];
    // The kind is written into the SQL, not bound: see LIMIT_PARAM.
    const select = this.statements.get(
      `SELECT * FROM tasks
       WHERE namespace = ? AND kind = ${kindLiteral(kind)} AND name = ? AND state = 'queued' AND visible_at <= ?
         AND (deployment_name IS NULL OR deployment_name = ?) AND (deadline_at IS NULL OR deadline_at > ?)
         AND ${STICKY_CLAIM_CONDITION('?', '?', '?')}
       ORDER BY visible_at, id ${LIMIT_PARAM}`,
    );
    // One indexed range per name, merged here: cheaper than an IN list sorted by SQLite.
    const candidates: TaskRow[] = [];
    for (const name of new Set(names)) {
      const args = [claim.namespace, name, claim.now, claim.deploymentName, claim.now, claim.workerId, claim.now, claim.now, max];
      candidates.push(...(select.all(...args) as TaskRow[]));
    }
    candidates.sort((a, b) => a.visible_at - b.visible_at || a.id - b.id);
    return candidates.slice(0, max);
  }

  /** What the run's history says about the activity, timer and update ids `commands` may name. */
  private commandState(runId: string, commands: readonly Command[]): RunCommandState {
    const rows = this.statements
      .get(
        `SELECT event_id, event_type, activity_id,
           CASE WHEN event_type = '${EventType.ActivityTaskScheduled}' THEN NULL ELSE attributes END AS attributes
         FROM history_events WHERE run_id = ? AND event_type IN (${COMMAND_STATE_TYPES_SQL})`,
      )
      .all(runId) as CommandStateRow[];
    const selectUpdate = this.statements.get('SELECT event_id, event_type, attributes FROM history_events WHERE run_id = ? AND update_id = ? ORDER BY event_id');
    const updateIds = new Set(commands.flatMap((command) => (command.type === CommandType.CompleteUpdate ? [command.update_id] : [])));
    const updateRows = [...updateIds].flatMap((updateId) => selectUpdate.all(runId, updateId) as UpdateEventRow[]);
    return runCommandState(rows, updateRows);
  }

  private leaseWorkflowTask(task: TaskRow, claim: ClaimRequest): WorkflowTaskWire {
    const row = this.writer.runRow(task.run_id);
    const deadline = claim.workflowTaskTimeoutMs > 0 ? claim.now + claim.workflowTaskTimeoutMs : null;
    this.lease(task.id, claim, row.last_event_id, deadline);
    const after = heldUpTo(row, claim.workerId);
    return toWorkflowTaskWire(task, row, this.history(task.run_id, after), after, claim.historyWarnEvents);
  }

  /** The run's history after `afterEventId` (0: all of it). */
  private history(runId: string, afterEventId = 0): HistoryEvent[] {
    return (
      this.statements
        .get('SELECT event_id, event_type, event_timestamp, attributes FROM history_events WHERE run_id = ? AND event_id > ? ORDER BY event_id')
        .all(runId, afterEventId) as HistoryEventRow[]
    ).map(toHistoryEvent);
  }

  private leaseQueryTask(task: TaskRow, claim: ClaimRequest): QueryTaskWire {
    // A query keeps its own deadline: the caller's wait, not a lease timeout.
    this.lease(task.id, claim, null, task.deadline_at);
    return toQueryTaskWire(task, this.history(task.run_id));
  }

  private leaseActivityTask(task: TaskRow, claim: ClaimRequest): ActivityTaskWire {
    const row = this.writer.runRow(task.run_id);
    const payload = payloadOf(task);
    this.lease(task.id, claim, null, leasedActivityDeadline(task, claim.now, claim.now));
    this.writer.append(
      row,
      [{ event_type: EventType.ActivityTaskStarted, attributes: { ...activityIds(payload, task), worker_name: claim.workerName } }],
      claim.now,
    );
    return toActivityTaskWire(task);
  }

  /** The task a token names, leased by the caller (see `checkLeasedTask`); nothing has been written yet. */
  private leasedTask(caller: TaskCaller, kind: TaskKind, acceptClosed: boolean): TaskRow | null {
    const task = this.statements.get('SELECT * FROM tasks WHERE id = ?').get(caller.token.taskId) as TaskRow | undefined;
    return checkLeasedTask(task, caller, kind, acceptClosed);
  }

  private lease(taskId: number, claim: ClaimRequest, lastSeenEventId: number | null, deadlineAt: number | null): void {
    this.statements
      .get(
        `UPDATE tasks SET state = 'leased', worker_id = ?, worker_name = ?, lease_expires_at = ?, last_seen_event_id = ?,
           leased_at = ?, heartbeat_at = ?, deadline_at = ?
         WHERE id = ?`,
      )
      .run(claim.workerId, claim.workerName, claim.leaseExpiresAt, lastSeenEventId, claim.now, claim.now, deadlineAt, taskId);
  }
}
