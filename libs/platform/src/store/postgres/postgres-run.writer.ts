import { ErrorCode, EventType, ExecutionStatus, type Failure, type HistoryEvent, type NewEvent } from '#workflows/protocol';
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
import type { PgTx } from './postgres.transaction.js';

/** How an activity attempt's failure is handled besides its retry policy. */
export interface AttemptFailureOptions {
  /** Retry at once: the attempt ended through no fault of the activity (worker shutdown). */
  noBackoff?: boolean;
  /** The holder reported the failure itself: a retry of its report is recognised as done. */
  keepHolder?: boolean;
}

/**
 * The row-level writes every task transition of {@link PostgresStore} shares: locking a run,
 * appending events, queueing, requeueing and closing tasks, and failing an attempt. Runs
 * inside the caller's transaction.
 *
 * Locks are always taken task rows first, then the execution row, so that two nodes never
 * wait on each other in opposite orders. The execution row is locked (`FOR UPDATE`) before
 * any event is appended: event ids stay dense, and a closed run gets no event after its last.
 */
export class PostgresRunWriter {
  constructor(private readonly tx: PgTx) {}

  /** The execution row of a namespace's execution id, unlocked (for reads). */
  execution(namespace: string, executionId: string): Promise<ExecutionRow | undefined> {
    return this.tx.one<ExecutionRow>('SELECT * FROM executions WHERE namespace = $1 AND execution_id = $2', [namespace, executionId]);
  }

  /** The execution row of the run a task belongs to, locked until the transaction ends. */
  async lockRun(runId: string): Promise<ExecutionRow> {
    const row = await this.tx.one<ExecutionRow>('SELECT * FROM executions WHERE run_id = $1 FOR UPDATE', [runId]);
    if (!row) throw new PlatformError(ErrorCode.Internal, `run ${runId} of a task has no execution`);
    return row;
  }

  /** Locks the execution rows of several runs in one order (run id), so that batches never deadlock each other. */
  async lockRuns(runIds: readonly string[]): Promise<void> {
    const unique = [...new Set(runIds)];
    if (unique.length > 0) await this.tx.run('SELECT 1 FROM executions WHERE run_id = ANY($1) ORDER BY run_id FOR UPDATE', [unique]);
  }

  /** Appends events after the run's last one and advances `row.last_event_id`; the row must be locked. */
  async append(row: ExecutionRow, events: readonly NewEvent[], now: number): Promise<HistoryEvent[]> {
    if (row.status !== ExecutionStatus.Running) {
      throw new PlatformError(ErrorCode.Internal, `execution ${row.execution_id} is closed and accepts no event`);
    }
    if (events.length === 0) return [];
    const ids: number[] = [];
    const types: string[] = [];
    const activities: (number | null)[] = [];
    const texts: string[] = [];
    const appended: HistoryEvent[] = [];
    for (const event of events) {
      const eventId = ++row.last_event_id;
      const text = JSON.stringify(event.attributes);
      ids.push(eventId);
      types.push(event.event_type);
      activities.push((event.attributes as { activity_id?: number }).activity_id ?? null);
      texts.push(text);
      appended.push(toHistoryEvent({ event_id: eventId, event_type: event.event_type, event_timestamp: now, attributes: text }));
    }
    await this.tx.run(
      `INSERT INTO history_events (run_id, event_id, namespace, execution_id, event_type, event_timestamp, activity_id, attributes)
       SELECT $1, e.event_id, $2, $3, e.event_type, $4, e.activity_id, e.attributes
       FROM unnest($5::integer[], $6::text[], $7::integer[], $8::text[]) AS e(event_id, event_type, activity_id, attributes)`,
      [row.run_id, row.namespace, row.execution_id, now, ids, types, activities, texts],
    );
    await this.tx.run('UPDATE executions SET last_event_id = $1 WHERE run_id = $2', [row.last_event_id, row.run_id]);
    return appended;
  }

  /** Queues the run's workflow task (attempt 1, visible now). */
  async queueWorkflowTask(row: ExecutionRow, now: number): Promise<CreatedTask> {
    await this.tx.run(
      `INSERT INTO tasks (namespace, kind, execution_id, run_id, name, deployment_name, state, attempt, visible_at)
       VALUES ($1, 'workflow', $2, $3, $4, $5, 'queued', 1, $6)`,
      [row.namespace, row.execution_id, row.run_id, row.workflow_name, row.deployment_name, now],
    );
    return { kind: 'workflow', name: row.workflow_name, deploymentName: row.deployment_name, visibleAt: now };
  }

  /** Queues an activity's first attempt, visible now, with its schedule-to-start/close deadline. */
  async queueActivityTask(row: ExecutionRow, now: number, payload: ActivityTaskPayload, activityName: string): Promise<CreatedTask> {
    await this.tx.run(
      `INSERT INTO tasks (namespace, kind, execution_id, run_id, name, deployment_name, state, attempt, visible_at, payload, deadline_at)
       VALUES ($1, 'activity', $2, $3, $4, $5, 'queued', 1, $6, $7, $8)`,
      [row.namespace, row.execution_id, row.run_id, activityName, row.deployment_name, now, JSON.stringify(payload), queuedActivityDeadline(payload, now)],
    );
    return { kind: 'activity', name: activityName, deploymentName: row.deployment_name, visibleAt: now };
  }

  /** Queues the run's workflow task unless one is already queued or leased; the run row must be locked. */
  async ensureWorkflowTask(row: ExecutionRow, now: number): Promise<CreatedTask[]> {
    const existing = await this.tx.one(`SELECT 1 FROM tasks WHERE run_id = $1 AND kind = 'workflow' AND state <> 'closed'`, [row.run_id]);
    return existing ? [] : [await this.queueWorkflowTask(row, now)];
  }

  /** Queues the task's next attempt, visible at `visibleAt`: the old token goes stale. */
  async requeue(task: TaskRow, visibleAt: number, lastFailure: string | null = task.last_failure): Promise<CreatedTask> {
    await this.tx.run(
      `UPDATE tasks SET state = 'queued', attempt = attempt + 1, visible_at = $1, worker_id = NULL, worker_name = NULL,
         lease_expires_at = NULL, last_seen_event_id = NULL, leased_at = NULL, heartbeat_at = NULL, deadline_at = $2,
         last_failure = $3
       WHERE id = $4`,
      [visibleAt, requeuedDeadline(task, visibleAt), lastFailure, task.id],
    );
    return { kind: task.kind, name: task.name, deploymentName: task.deployment_name, visibleAt };
  }

  /** Closes a task at its current attempt; with `keepHolder` its retried completion is answered as done. */
  async closeTask(taskId: number, now: number, keepHolder: boolean): Promise<void> {
    await this.tx.run(
      `UPDATE tasks SET state = 'closed', closed_at = $1, deadline_at = NULL, payload = NULL, heartbeat_details = NULL,
         last_failure = NULL, worker_id = CASE WHEN $2::boolean THEN worker_id ELSE NULL END
       WHERE id = $3`,
      [now, keepHolder, taskId],
    );
  }

  /** Closes whatever a closed run still had queued or leased (locked beforehand): every token of it goes stale. */
  async closeRunTasks(runId: string, now: number): Promise<void> {
    await this.tx.run(
      `UPDATE tasks SET state = 'closed', closed_at = $1, deadline_at = NULL, payload = NULL, heartbeat_details = NULL,
         last_failure = NULL, worker_id = NULL
       WHERE run_id = $2 AND state <> 'closed'`,
      [now, runId],
    );
  }

  /** Fails a workflow task's attempt (recorded unless it repeats the last failure) and queues the next after `retryDelayMs`. */
  async failWorkflowAttempt(task: TaskRow, failure: Failure, workerName: string, now: number, retryDelayMs: number): Promise<TransitionOutcome> {
    const signature = failureSignature(failure);
    if (signature !== task.last_failure) {
      const row = await this.lockRun(task.run_id);
      const attributes = { last_seen_event_id: task.last_seen_event_id ?? 0, worker_name: workerName, attempt: task.attempt, failure };
      await this.append(row, [{ event_type: EventType.WorkflowTaskFailed, attributes }], now);
    }
    return { tasks: [await this.requeue(task, now + Math.max(0, retryDelayMs), signature)] };
  }

  /** Fails an activity attempt: a retry after the backoff (within the policy and schedule-to-close), or the activity's failure. */
  async failActivityAttempt(task: TaskRow, failure: Failure, now: number, options: AttemptFailureOptions = {}): Promise<TransitionOutcome> {
    const plan = planAttemptFailure(task, failure, now, options.noBackoff === true);
    if (!plan.retry) return this.failActivity(task, failure, now, options.keepHolder === true);
    const row = await this.lockRun(task.run_id);
    const attributes = { ...activityIds(payloadOf(task), task), failure, next_attempt_delay_ms: plan.delayMs };
    await this.append(row, [{ event_type: EventType.ActivityTaskRetrying, attributes }], now);
    return { tasks: [await this.requeue(task, now + plan.delayMs)] };
  }

  /** Records `ACTIVITY_TASK_FAILED`, closes the task and makes sure the workflow task follows. */
  async failActivity(task: TaskRow, failure: Failure, now: number, keepHolder: boolean): Promise<TransitionOutcome> {
    const row = await this.lockRun(task.run_id);
    await this.append(row, [{ event_type: EventType.ActivityTaskFailed, attributes: { ...activityIds(payloadOf(task), task), failure } }], now);
    await this.closeTask(task.id, now, keepHolder);
    return { tasks: await this.ensureWorkflowTask(row, now) };
  }
}
