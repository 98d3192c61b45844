import {
  ErrorCode,
  EventType,
  ExecutionStatus,
  type Failure,
  type HistoryEvent,
  type NewEvent,
} from '#workflows/protocol';
import { PlatformError } from '../../errors/platform.error.js';
import type { PlannedActivityCancel, PlannedContinuation, PlannedTimer } from '../../executions/workflow-task.planner.js';
import type { RunCascade } from '../child-workflow.rules.js';
import { cancelRequestedEvent, continuedStartEvent, type RunClose } from '../execution-transition.rules.js';
import type { ExecutionChanges } from '../store-results.js';
import type { CreatedTask, TransitionOutcome } from '../store.interface.js';
import { toHistoryEvent, toJson, type ActivityTaskPayload, type ExecutionRow, type TaskRow, type TimerTaskPayload } from '../store.rows.js';
import {
  activityEndEvent,
  activityIds,
  failureSignature,
  payloadOf,
  planActivityCancel,
  planAttemptFailure,
  queuedActivityDeadline,
  requeuedDeadline,
  stickyOf,
  timerFiredEvent,
  timerTaskOf,
} from '../task-transition.rules.js';
import { SqliteChildWriter } from './sqlite-child.writer.js';
import { kindLiteral, type SqliteStatements } from './sqlite.statements.js';

/** How an activity attempt's failure is handled besides its retry policy. */
export interface AttemptFailureOptions {
  /** Retry at once: the attempt ended through no fault of the activity (worker shutdown). */
  noBackoff?: boolean;
  /** The holder reported the failure itself: a retry of its report is recognised as done. */
  keepHolder?: boolean;
}

/**
 * The row-level writes every task transition of {@link SqliteStore} shares: appending events,
 * queueing, requeueing and closing tasks, failing an attempt, firing and cancelling timers,
 * closing a run. Runs inside the caller's transaction; every append is noted in `changes`.
 */
export class SqliteRunWriter {
  /** The child-workflow writes. */
  readonly children: SqliteChildWriter;

  constructor(
    private readonly statements: SqliteStatements,
    private readonly changes: ExecutionChanges,
  ) {
    this.children = new SqliteChildWriter(statements, this);
  }

  /** The execution row of a namespace's execution id. */
  execution(namespace: string, executionId: string): ExecutionRow | undefined {
    return this.statements
      .get('SELECT * FROM executions WHERE namespace = ? AND execution_id = ?')
      .get(namespace, executionId) as ExecutionRow | undefined;
  }

  /** The execution row of a run a task belongs to. */
  runRow(runId: string): ExecutionRow {
    const row = this.statements.get('SELECT * FROM executions WHERE run_id = ?').get(runId) as ExecutionRow | undefined;
    if (!row) throw new PlatformError(ErrorCode.Internal, `run ${runId} of a task has no execution`);
    return row;
  }

  /** Appends events after the run's last one and advances `row.last_event_id`. */
  append(row: ExecutionRow, events: readonly NewEvent[], now: number): HistoryEvent[] {
    if (row.status !== ExecutionStatus.Running) {
      throw new PlatformError(ErrorCode.Internal, `execution ${row.execution_id} is closed and accepts no event`);
    }
    if (events.length === 0) return [];
    const insert = this.statements.get(
      `INSERT INTO history_events (run_id, event_id, namespace, execution_id, event_type, event_timestamp, activity_id, update_id, attributes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const appended: HistoryEvent[] = [];
    for (const event of events) {
      const eventId = ++row.last_event_id;
      const attributes = event.attributes as { activity_id?: number; update_id?: string };
      const text = JSON.stringify(event.attributes);
      insert.run(row.run_id, eventId, row.namespace, row.execution_id, event.event_type, now, attributes.activity_id ?? null, attributes.update_id ?? null, text);
      appended.push(toHistoryEvent({ event_id: eventId, event_type: event.event_type, event_timestamp: now, attributes: text }));
    }
    this.statements.get('UPDATE executions SET last_event_id = ? WHERE run_id = ?').run(row.last_event_id, row.run_id);
    this.changes.add(row.namespace, row.execution_id);
    return appended;
  }

  /** Queues the run's workflow task (attempt 1, visible now). */
  queueWorkflowTask(row: ExecutionRow, now: number): CreatedTask {
    const live = row.sticky_worker_id
      ? this.statements.get('SELECT 1 FROM worker_sessions WHERE worker_id = ? AND expires_at > ?').get(row.sticky_worker_id, now) !== undefined
      : false;
    const sticky = live ? stickyOf(row.sticky_worker_id, now) : null;
    const { lastInsertRowid } = this.statements
      .get(
        `INSERT INTO tasks (namespace, kind, execution_id, run_id, name, deployment_name, state, attempt, visible_at, sticky_worker_id, sticky_until)
         VALUES (?, 'workflow', ?, ?, ?, ?, 'queued', 1, ?, ?, ?)`,
      )
      .run(row.namespace, row.execution_id, row.run_id, row.workflow_name, row.deployment_name, now, sticky?.workerId ?? null, sticky?.until ?? null);
    const taskId = Number(lastInsertRowid);
    return { taskId, kind: 'workflow', name: row.workflow_name, deploymentName: row.deployment_name, visibleAt: now, ...(sticky ? { sticky } : {}) };
  }

  /**
   * Makes `workerId` the worker the run's next workflow tasks are offered to first: it answered
   * the last one, whose history ended at `seenEventId`, and holds the run in memory.
   */
  setStickyWorker(row: ExecutionRow, workerId: string, seenEventId: number): void {
    if (row.sticky_worker_id === workerId && row.sticky_event_id === seenEventId) return;
    Object.assign(row, { sticky_worker_id: workerId, sticky_event_id: seenEventId });
    this.statements.get('UPDATE executions SET sticky_worker_id = ?, sticky_event_id = ? WHERE run_id = ?').run(workerId, seenEventId, row.run_id);
  }

  /** Queues an activity's first attempt, visible now, with its schedule-to-start/close deadline. */
  queueActivityTask(row: ExecutionRow, now: number, payload: ActivityTaskPayload, activityName: string): CreatedTask {
    const deadline = queuedActivityDeadline(payload, now);
    const { lastInsertRowid } = this.statements
      .get(
        `INSERT INTO tasks (namespace, kind, execution_id, run_id, name, deployment_name, state, attempt, visible_at, payload, deadline_at)
         VALUES (?, 'activity', ?, ?, ?, ?, 'queued', 1, ?, ?, ?)`,
      )
      .run(row.namespace, row.execution_id, row.run_id, activityName, row.deployment_name, now, JSON.stringify(payload), deadline);
    return { taskId: Number(lastInsertRowid), kind: 'activity', name: activityName, deploymentName: row.deployment_name, visibleAt: now };
  }

  /** Queues a timer's task, due at its fire time; no worker leases it, the timeout sweep fires it. */
  queueTimerTask(row: ExecutionRow, timer: PlannedTimer): CreatedTask {
    const payload: TimerTaskPayload = { timer_id: timer.timerId, started_event_id: timer.startedEventId };
    this.statements
      .get(
        `INSERT INTO tasks (namespace, kind, execution_id, run_id, name, deployment_name, state, attempt, visible_at, payload, deadline_at)
         VALUES (?, 'timer', ?, ?, ?, ?, 'queued', 1, ?, ?, ?)`,
      )
      .run(row.namespace, row.execution_id, row.run_id, row.workflow_name, row.deployment_name, timer.fireAt, JSON.stringify(payload), timer.fireAt);
    return { kind: 'timer', name: row.workflow_name, deploymentName: row.deployment_name, visibleAt: timer.fireAt };
  }

  /** The run's open tasks of one kind, oldest first. */
  openTasks(runId: string, kind: TaskRow['kind']): TaskRow[] {
    return this.statements
      .get(`SELECT * FROM tasks WHERE run_id = ? AND kind = ${kindLiteral(kind)} AND state <> 'closed' ORDER BY id`)
      .all(runId) as TaskRow[];
  }

  /** Closes the tasks of timers the workflow cancelled, unless they fired already. */
  closeTimers(runId: string, timerIds: readonly number[], now: number): void {
    if (timerIds.length === 0) return;
    const open = this.openTasks(runId, 'timer');
    for (const timerId of timerIds) {
      const task = timerTaskOf(open, timerId);
      if (task) this.closeTask(task.id, now, false);
    }
  }

  /** Records a due timer's `TIMER_FIRED`, closes its task and makes sure the workflow task follows. */
  fireTimer(task: TaskRow, now: number): TransitionOutcome {
    const row = this.runRow(task.run_id);
    this.append(row, [timerFiredEvent(task)], now);
    this.closeTask(task.id, now, false);
    return { tasks: this.ensureWorkflowTask(row, now) };
  }

  /**
   * Carries out `REQUEST_CANCEL_ACTIVITY`s (their requests already recorded): a queued activity
   * is cancelled at once (`ACTIVITY_TASK_CANCELED`, appended after the completion's events); a
   * leased attempt is asked to stop; a closed activity is left alone.
   */
  cancelActivities(row: ExecutionRow, cancels: readonly PlannedActivityCancel[], now: number): void {
    if (cancels.length === 0) return;
    let open = this.openTasks(row.run_id, 'activity');
    const events: NewEvent[] = [];
    for (const cancel of cancels) {
      const plan = planActivityCancel(open, cancel.activityId);
      if (plan.action === 'cancel') {
        events.push(activityEndEvent(plan.task, null));
        this.closeTask(plan.task.id, now, false);
        open = open.filter((task) => task !== plan.task);
      } else if (plan.action === 'request') {
        this.statements.get('UPDATE tasks SET cancel_requested = 1 WHERE id = ?').run(plan.task.id);
      }
    }
    this.append(row, events, now);
  }

  /**
   * Closes the run (and `row`) with its status, result or failure, and every task it still had:
   * their tokens go stale. A child's end is recorded in its parent's run (which gets a workflow
   * task), and the run's own running children get their parent close policy: terminated (and
   * theirs in turn), asked to cancel, or left alone. Returns what that cascade queued and closed.
   */
  closeRun(row: ExecutionRow, close: RunClose, now: number): RunCascade {
    Object.assign(row, { status: close.status, result: toJson(close.result), failure: toJson(close.failure), end_time: now });
    this.statements
      .get('UPDATE executions SET status = ?, result = ?, failure = ?, end_time = ? WHERE run_id = ?')
      .run(row.status, row.result, row.failure, now, row.run_id);
    this.closeRunTasks(row.run_id, now);
    return this.children.afterClose(row, close, now);
  }

  /** Appends `WORKFLOW_EXECUTION_CANCEL_REQUESTED` unless the run has one, and makes sure a workflow task follows (returned when queued). */
  requestCancel(row: ExecutionRow, reason: string | null, now: number): CreatedTask[] {
    const requested = this.statements
      .get(`SELECT 1 FROM history_events WHERE run_id = ? AND event_type = '${EventType.WorkflowExecutionCancelRequested}' LIMIT 1`)
      .get(row.run_id);
    if (requested) return [];
    this.append(row, [cancelRequestedEvent(reason)], now);
    return this.ensureWorkflowTask(row, now);
  }

  /**
   * Starts the run a closed run continues as new, under the same execution id: the execution row
   * (and `row`) points to it, running from `now`, its history begins with
   * `WORKFLOW_EXECUTION_STARTED`, and its workflow task is queued. The old run's events stay.
   */
  continueAsNew(row: ExecutionRow, continuation: PlannedContinuation, now: number): CreatedTask {
    const previousRunId = row.run_id;
    this.statements
      .get(
        `UPDATE executions SET run_id = ?, workflow_name = ?, status = ?, input = ?, result = NULL, failure = NULL,
           start_time = ?, end_time = NULL, last_event_id = 0, history_warned = 0, sticky_event_id = NULL
         WHERE run_id = ?`,
      )
      .run(continuation.runId, continuation.workflowName, ExecutionStatus.Running, toJson(continuation.input), now, previousRunId);
    Object.assign(row, {
      run_id: continuation.runId,
      workflow_name: continuation.workflowName,
      status: ExecutionStatus.Running,
      input: toJson(continuation.input),
      result: null,
      failure: null,
      start_time: now,
      end_time: null,
      last_event_id: 0,
      history_warned: 0,
      sticky_event_id: null,
    });
    this.append(row, [continuedStartEvent(previousRunId, row, continuation)], now);
    return this.queueWorkflowTask(row, now);
  }

  /** Records that the run was warned of its history size. */
  markHistoryWarned(row: ExecutionRow): void {
    row.history_warned = 1;
    this.statements.get('UPDATE executions SET history_warned = 1 WHERE run_id = ?').run(row.run_id);
  }

  /** Queues the run's workflow task unless one is already queued or leased (a leased one picks the event up on completion). */
  ensureWorkflowTask(row: ExecutionRow, now: number): CreatedTask[] {
    const existing = this.statements.get(`SELECT 1 FROM tasks WHERE run_id = ? AND kind = 'workflow' AND state <> 'closed'`).get(row.run_id);
    return existing ? [] : [this.queueWorkflowTask(row, now)];
  }

  /**
   * Queues the task's next attempt, visible at `visibleAt`: the old token goes stale. Heartbeat
   * details stay for the next attempt; `lastFailure` (a workflow task's) stays unless given.
   */
  requeue(task: TaskRow, visibleAt: number, lastFailure: string | null = task.last_failure): CreatedTask {
    const deadline = requeuedDeadline(task, visibleAt);
    this.statements
      .get(
        `UPDATE tasks SET state = 'queued', attempt = attempt + 1, visible_at = ?, worker_id = NULL, worker_name = NULL,
           lease_expires_at = NULL, last_seen_event_id = NULL, leased_at = NULL, heartbeat_at = NULL, deadline_at = ?,
           last_failure = ?, sticky_worker_id = NULL, sticky_until = NULL
         WHERE id = ?`,
      )
      .run(visibleAt, deadline, lastFailure, task.id);
    return { taskId: task.id, kind: task.kind, name: task.name, deploymentName: task.deployment_name, visibleAt };
  }

  /**
   * Closes a task at its current attempt. With `keepHolder` the worker that closed it stays on
   * the row, so that its retried completion is answered as done; otherwise any token is stale.
   */
  closeTask(taskId: number, now: number, keepHolder: boolean): void {
    this.statements
      .get(
        `UPDATE tasks SET state = 'closed', closed_at = ?, deadline_at = NULL, payload = NULL, heartbeat_details = NULL,
           last_failure = NULL, worker_id = CASE WHEN ? THEN worker_id ELSE NULL END
         WHERE id = ?`,
      )
      .run(now, keepHolder ? 1 : 0, taskId);
  }

  /**
   * Closes whatever a closed run still had queued or leased, timers included: every token of it
   * goes stale. Queries stay: a closed run still answers them from its history.
   */
  closeRunTasks(runId: string, now: number): void {
    this.statements
      .get(
        `UPDATE tasks SET state = 'closed', closed_at = ?, deadline_at = NULL, payload = NULL, heartbeat_details = NULL,
           last_failure = NULL, worker_id = NULL
         WHERE run_id = ? AND state <> 'closed' AND kind <> 'query'`,
      )
      .run(now, runId);
  }

  /**
   * Fails a leased attempt whose holder is gone (session expired, worker shut down): a workflow
   * task's attempt is recorded and offered again at once; an activity's follows its retry
   * policy; a query is offered again (it records nothing).
   */
  failAbandonedAttempt(task: TaskRow, failure: Failure, workerName: string, now: number, options: AttemptFailureOptions = {}): TransitionOutcome {
    if (task.kind === 'workflow') return this.failWorkflowAttempt(task, failure, workerName, now, 0);
    if (task.kind === 'query') return { tasks: [this.requeue(task, now)] };
    return this.failActivityAttempt(task, failure, now, options);
  }

  /**
   * Fails a workflow task's attempt and queues the next one after `retryDelayMs`. The failure
   * is recorded as `WORKFLOW_TASK_FAILED` only when its type and message differ from the
   * previous attempt's, so that a parked execution (failing the same way again and again)
   * does not grow its history; attempts still count.
   */
  failWorkflowAttempt(task: TaskRow, failure: Failure, workerName: string, now: number, retryDelayMs: number): TransitionOutcome {
    const signature = failureSignature(failure);
    // The worker that failed it may not hold the run as history has it: any worker takes the next attempt.
    this.statements.get('UPDATE executions SET sticky_worker_id = NULL WHERE run_id = ? AND sticky_worker_id IS NOT NULL').run(task.run_id);
    if (signature !== task.last_failure) {
      const row = this.runRow(task.run_id);
      const attributes = { last_seen_event_id: task.last_seen_event_id ?? 0, worker_name: workerName, attempt: task.attempt, failure };
      this.append(row, [{ event_type: EventType.WorkflowTaskFailed, attributes }], now);
    }
    return { tasks: [this.requeue(task, now + Math.max(0, retryDelayMs), signature)] };
  }

  /**
   * Fails an activity attempt: per its retry policy (and never past its schedule-to-close
   * deadline) `ACTIVITY_TASK_RETRYING` and the next attempt after the backoff, or the activity's
   * end (its failure, or its cancellation when the workflow asked it to stop).
   */
  failActivityAttempt(task: TaskRow, failure: Failure, now: number, options: AttemptFailureOptions = {}): TransitionOutcome {
    const plan = planAttemptFailure(task, failure, now, options.noBackoff === true);
    if (!plan.retry) return this.endActivity(task, failure, now, options.keepHolder === true);
    const payload = payloadOf(task);
    const row = this.runRow(task.run_id);
    const attributes = { ...activityIds(payload, task), failure, next_attempt_delay_ms: plan.delayMs };
    this.append(row, [{ event_type: EventType.ActivityTaskRetrying, attributes }], now);
    return { tasks: [this.requeue(task, now + plan.delayMs)] };
  }

  /**
   * Records the activity's end (`ACTIVITY_TASK_FAILED`, or `ACTIVITY_TASK_CANCELED` when it was
   * asked to stop), closes the task and makes sure the workflow task follows.
   */
  endActivity(task: TaskRow, failure: Failure | null, now: number, keepHolder: boolean): TransitionOutcome {
    const row = this.runRow(task.run_id);
    this.append(row, [activityEndEvent(task, failure)], now);
    this.closeTask(task.id, now, keepHolder);
    return { tasks: this.ensureWorkflowTask(row, now) };
  }
}
