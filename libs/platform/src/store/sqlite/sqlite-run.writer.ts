import {
  ErrorCode,
  EventType,
  ExecutionStatus,
  type Failure,
  type HistoryEvent,
  type NewEvent,
} from '#workflows/protocol';
import { PlatformError } from '../../errors/platform.error.js';
import type { CreatedTask, TransitionOutcome } from '../store.interface.js';
import { toHistoryEvent, type ActivityTaskPayload, type ExecutionRow, type TaskRow } from '../store.rows.js';
import {
  activityIds,
  failureSignature,
  payloadOf,
  planAttemptFailure,
  queuedActivityDeadline,
  requeuedDeadline,
} from '../task-transition.rules.js';
import type { SqliteStatements } from './sqlite.statements.js';

/** How an activity attempt's failure is handled besides its retry policy. */
export interface AttemptFailureOptions {
  /** Retry at once: the attempt ended through no fault of the activity (worker shutdown). */
  noBackoff?: boolean;
  /** The holder reported the failure itself: a retry of its report is recognised as done. */
  keepHolder?: boolean;
}

/**
 * The row-level writes every task transition of {@link SqliteStore} shares: appending events,
 * queueing, requeueing and closing tasks, and failing an attempt. Runs inside the caller's
 * transaction.
 */
export class SqliteRunWriter {
  constructor(private readonly statements: SqliteStatements) {}

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
    const insert = this.statements.get(
      `INSERT INTO history_events (run_id, event_id, namespace, execution_id, event_type, event_timestamp, activity_id, attributes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const appended: HistoryEvent[] = [];
    for (const event of events) {
      const eventId = ++row.last_event_id;
      const attributes = event.attributes as { activity_id?: number };
      const text = JSON.stringify(event.attributes);
      insert.run(row.run_id, eventId, row.namespace, row.execution_id, event.event_type, now, attributes.activity_id ?? null, text);
      appended.push(toHistoryEvent({ event_id: eventId, event_type: event.event_type, event_timestamp: now, attributes: text }));
    }
    this.statements.get('UPDATE executions SET last_event_id = ? WHERE run_id = ?').run(row.last_event_id, row.run_id);
    return appended;
  }

  /** Queues the run's workflow task (attempt 1, visible now). */
  queueWorkflowTask(row: ExecutionRow, now: number): CreatedTask {
    this.statements
      .get(
        `INSERT INTO tasks (namespace, kind, execution_id, run_id, name, deployment_name, state, attempt, visible_at)
         VALUES (?, 'workflow', ?, ?, ?, ?, 'queued', 1, ?)`,
      )
      .run(row.namespace, row.execution_id, row.run_id, row.workflow_name, row.deployment_name, now);
    return { kind: 'workflow', name: row.workflow_name, deploymentName: row.deployment_name, visibleAt: now };
  }

  /** Queues an activity's first attempt, visible now, with its schedule-to-start/close deadline. */
  queueActivityTask(row: ExecutionRow, now: number, payload: ActivityTaskPayload, activityName: string): CreatedTask {
    const deadline = queuedActivityDeadline(payload, now);
    this.statements
      .get(
        `INSERT INTO tasks (namespace, kind, execution_id, run_id, name, deployment_name, state, attempt, visible_at, payload, deadline_at)
         VALUES (?, 'activity', ?, ?, ?, ?, 'queued', 1, ?, ?, ?)`,
      )
      .run(row.namespace, row.execution_id, row.run_id, activityName, row.deployment_name, now, JSON.stringify(payload), deadline);
    return { kind: 'activity', name: activityName, deploymentName: row.deployment_name, visibleAt: now };
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
           last_failure = ?
         WHERE id = ?`,
      )
      .run(visibleAt, deadline, lastFailure, task.id);
    return { kind: task.kind, name: task.name, deploymentName: task.deployment_name, visibleAt };
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

  /** Closes whatever a closed run still had queued or leased: every token of it goes stale. */
  closeRunTasks(runId: string, now: number): void {
    this.statements
      .get(
        `UPDATE tasks SET state = 'closed', closed_at = ?, deadline_at = NULL, payload = NULL, heartbeat_details = NULL,
           last_failure = NULL, worker_id = NULL
         WHERE run_id = ? AND state <> 'closed'`,
      )
      .run(now, runId);
  }

  /**
   * Fails a workflow task's attempt and queues the next one after `retryDelayMs`. The failure
   * is recorded as `WORKFLOW_TASK_FAILED` only when its type and message differ from the
   * previous attempt's, so that a parked execution (failing the same way again and again)
   * does not grow its history; attempts still count.
   */
  failWorkflowAttempt(task: TaskRow, failure: Failure, workerName: string, now: number, retryDelayMs: number): TransitionOutcome {
    const signature = failureSignature(failure);
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
   * failure.
   */
  failActivityAttempt(task: TaskRow, failure: Failure, now: number, options: AttemptFailureOptions = {}): TransitionOutcome {
    const plan = planAttemptFailure(task, failure, now, options.noBackoff === true);
    if (!plan.retry) return this.failActivity(task, failure, now, options.keepHolder === true);
    const payload = payloadOf(task);
    const row = this.runRow(task.run_id);
    const attributes = { ...activityIds(payload, task), failure, next_attempt_delay_ms: plan.delayMs };
    this.append(row, [{ event_type: EventType.ActivityTaskRetrying, attributes }], now);
    return { tasks: [this.requeue(task, now + plan.delayMs)] };
  }

  /** Records `ACTIVITY_TASK_FAILED`, closes the task and makes sure the workflow task follows. */
  failActivity(task: TaskRow, failure: Failure, now: number, keepHolder: boolean): TransitionOutcome {
    const row = this.runRow(task.run_id);
    const payload = payloadOf(task);
    this.append(row, [{ event_type: EventType.ActivityTaskFailed, attributes: { ...activityIds(payload, task), failure } }], now);
    this.closeTask(task.id, now, keepHolder);
    return { tasks: this.ensureWorkflowTask(row, now) };
  }
}
