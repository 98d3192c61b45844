import { ErrorCode, EventType, ExecutionStatus, type Failure, type HistoryEvent, type NewEvent } from '#workflows/protocol';
import { PlatformError } from '../../errors/platform.error.js';
import type { PlannedActivityCancel, PlannedContinuation, PlannedTimer } from '../../executions/workflow-task.planner.js';
import type { RunCascade } from '../child-workflow.rules.js';
import { cancelRequestedEvent, continuedStartEvent, type RunClose } from '../execution-transition.rules.js';
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
import { PostgresChildWriter } from './postgres-child.writer.js';
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
 * appending events, queueing, requeueing and closing tasks, failing an attempt, firing and
 * cancelling timers, closing a run. Runs inside the caller's transaction; every append is
 * noted in the transaction's changes.
 *
 * Locks are always taken task rows first (all of a run's open ones in id order, when a
 * transition changes several), then the execution row, so that two nodes never wait on each
 * other in opposite orders. A transition that only appends and queues (a signal, an update)
 * locks the execution row alone. The execution row is locked (`FOR UPDATE`) before any event
 * is appended: event ids stay dense, and a closed run gets no event after its last.
 */
export class PostgresRunWriter {
  /** The child-workflow writes. */
  readonly children: PostgresChildWriter;

  constructor(private readonly tx: PgTx) {
    this.children = new PostgresChildWriter(tx, this);
  }

  /** The execution row of a namespace's execution id, unlocked (for reads). */
  execution(namespace: string, executionId: string): Promise<ExecutionRow | undefined> {
    return this.tx.one<ExecutionRow>('SELECT * FROM executions WHERE namespace = $1 AND execution_id = $2', [namespace, executionId]);
  }

  /** The execution row of a namespace's execution id, locked until the transaction ends (no task row of its run may be locked after). */
  lockExecution(namespace: string, executionId: string): Promise<ExecutionRow | undefined> {
    return this.tx.one<ExecutionRow>('SELECT * FROM executions WHERE namespace = $1 AND execution_id = $2 FOR UPDATE', [namespace, executionId]);
  }

  /** Locks a run's open tasks, in id order: a transition that closes or changes them takes them before the run's row. */
  async lockOpenTasks(runId: string): Promise<void> {
    await this.tx.run(`SELECT 1 FROM tasks WHERE run_id = $1 AND state <> 'closed' ORDER BY id FOR UPDATE`, [runId]);
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
    const updates: (string | null)[] = [];
    const texts: string[] = [];
    const appended: HistoryEvent[] = [];
    for (const event of events) {
      const eventId = ++row.last_event_id;
      const attributes = event.attributes as { activity_id?: number; update_id?: string };
      const text = JSON.stringify(event.attributes);
      ids.push(eventId);
      types.push(event.event_type);
      activities.push(attributes.activity_id ?? null);
      updates.push(attributes.update_id ?? null);
      texts.push(text);
      appended.push(toHistoryEvent({ event_id: eventId, event_type: event.event_type, event_timestamp: now, attributes: text }));
    }
    await this.tx.run(
      `INSERT INTO history_events (run_id, event_id, namespace, execution_id, event_type, event_timestamp, activity_id, update_id, attributes)
       SELECT $1, e.event_id, $2, $3, e.event_type, $4, e.activity_id, e.update_id, e.attributes
       FROM unnest($5::integer[], $6::text[], $7::integer[], $8::text[], $9::text[]) AS e(event_id, event_type, activity_id, update_id, attributes)`,
      [row.run_id, row.namespace, row.execution_id, now, ids, types, activities, updates, texts],
    );
    await this.tx.run('UPDATE executions SET last_event_id = $1 WHERE run_id = $2', [row.last_event_id, row.run_id]);
    this.tx.changes.add(row.namespace, row.execution_id);
    return appended;
  }

  /** Queues the run's workflow task (attempt 1, visible now). */
  async queueWorkflowTask(row: ExecutionRow, now: number): Promise<CreatedTask> {
    const live = row.sticky_worker_id
      ? (await this.tx.one('SELECT 1 FROM worker_sessions WHERE worker_id = $1 AND expires_at > $2', [row.sticky_worker_id, now])) !== undefined
      : false;
    const sticky = live ? stickyOf(row.sticky_worker_id, now) : null;
    const inserted = await this.tx.one<{ id: number }>(
      `INSERT INTO tasks (namespace, kind, execution_id, run_id, name, deployment_name, state, attempt, visible_at, sticky_worker_id, sticky_until)
       VALUES ($1, 'workflow', $2, $3, $4, $5, 'queued', 1, $6, $7, $8) RETURNING id`,
      [row.namespace, row.execution_id, row.run_id, row.workflow_name, row.deployment_name, now, sticky?.workerId ?? null, sticky?.until ?? null],
    );
    const taskId = inserted!.id;
    return { taskId, kind: 'workflow', name: row.workflow_name, deploymentName: row.deployment_name, visibleAt: now, ...(sticky ? { sticky } : {}) };
  }

  /**
   * Makes `workerId` the worker the run's next workflow tasks are offered to first: it answered
   * the last one, whose history ended at `seenEventId`, and holds the run in memory. The row must be locked.
   */
  async setStickyWorker(row: ExecutionRow, workerId: string, seenEventId: number): Promise<void> {
    if (row.sticky_worker_id === workerId && row.sticky_event_id === seenEventId) return;
    Object.assign(row, { sticky_worker_id: workerId, sticky_event_id: seenEventId });
    await this.tx.run('UPDATE executions SET sticky_worker_id = $1, sticky_event_id = $2 WHERE run_id = $3', [workerId, seenEventId, row.run_id]);
  }

  /** Queues an activity's first attempt, visible now, with its schedule-to-start/close deadline. */
  async queueActivityTask(row: ExecutionRow, now: number, payload: ActivityTaskPayload, activityName: string): Promise<CreatedTask> {
    const inserted = await this.tx.one<{ id: number }>(
      `INSERT INTO tasks (namespace, kind, execution_id, run_id, name, deployment_name, state, attempt, visible_at, payload, deadline_at)
       VALUES ($1, 'activity', $2, $3, $4, $5, 'queued', 1, $6, $7, $8) RETURNING id`,
      [row.namespace, row.execution_id, row.run_id, activityName, row.deployment_name, now, JSON.stringify(payload), queuedActivityDeadline(payload, now)],
    );
    return { taskId: inserted!.id, kind: 'activity', name: activityName, deploymentName: row.deployment_name, visibleAt: now };
  }

  /** Queues a timer's task, due at its fire time; no worker leases it, the timeout sweep fires it. */
  async queueTimerTask(row: ExecutionRow, timer: PlannedTimer): Promise<CreatedTask> {
    const payload: TimerTaskPayload = { timer_id: timer.timerId, started_event_id: timer.startedEventId };
    await this.tx.run(
      `INSERT INTO tasks (namespace, kind, execution_id, run_id, name, deployment_name, state, attempt, visible_at, payload, deadline_at)
       VALUES ($1, 'timer', $2, $3, $4, $5, 'queued', 1, $6, $7, $6)`,
      [row.namespace, row.execution_id, row.run_id, row.workflow_name, row.deployment_name, timer.fireAt, JSON.stringify(payload)],
    );
    return { kind: 'timer', name: row.workflow_name, deploymentName: row.deployment_name, visibleAt: timer.fireAt };
  }

  /** The run's open tasks of one kind, oldest first (locked beforehand by the caller when it changes them). */
  openTasks(runId: string, kind: TaskRow['kind']): Promise<TaskRow[]> {
    return this.tx.rows<TaskRow>(`SELECT * FROM tasks WHERE run_id = $1 AND kind = $2 AND state <> 'closed' ORDER BY id`, [runId, kind]);
  }

  /** Closes the tasks of timers the workflow cancelled, unless they fired already. */
  async closeTimers(runId: string, timerIds: readonly number[], now: number): Promise<void> {
    if (timerIds.length === 0) return;
    const open = await this.openTasks(runId, 'timer');
    for (const timerId of timerIds) {
      const task = timerTaskOf(open, timerId);
      if (task) await this.closeTask(task.id, now, false);
    }
  }

  /** Records a due timer's `TIMER_FIRED`, closes its task and makes sure the workflow task follows; the run row must be locked. */
  async fireTimer(task: TaskRow, now: number): Promise<TransitionOutcome> {
    const row = await this.lockRun(task.run_id);
    await this.append(row, [timerFiredEvent(task)], now);
    await this.closeTask(task.id, now, false);
    return { tasks: await this.ensureWorkflowTask(row, now) };
  }

  /**
   * Carries out `REQUEST_CANCEL_ACTIVITY`s (their requests already recorded; the run's tasks
   * locked): a queued activity is cancelled at once (`ACTIVITY_TASK_CANCELED`, appended after
   * the completion's events); a leased attempt is asked to stop; a closed activity is left alone.
   */
  async cancelActivities(row: ExecutionRow, cancels: readonly PlannedActivityCancel[], now: number): Promise<void> {
    if (cancels.length === 0) return;
    let open = await this.openTasks(row.run_id, 'activity');
    const events: NewEvent[] = [];
    for (const cancel of cancels) {
      const plan = planActivityCancel(open, cancel.activityId);
      if (plan.action === 'cancel') {
        events.push(activityEndEvent(plan.task, null));
        await this.closeTask(plan.task.id, now, false);
        open = open.filter((task) => task !== plan.task);
      } else if (plan.action === 'request') {
        await this.tx.run('UPDATE tasks SET cancel_requested = 1 WHERE id = $1', [plan.task.id]);
      }
    }
    await this.append(row, events, now);
  }

  /**
   * Closes the run (and `row`) with its status, result or failure, and every task it still had
   * (locked beforehand): their tokens go stale. A child's end is recorded in its parent's run
   * (which gets a workflow task), and the run's own running children get their parent close
   * policy: terminated (and theirs in turn), asked to cancel, or left alone. Returns what that
   * cascade queued and closed. Rows of other executions are locked as they are reached; a
   * deadlock with a transition locking them the other way round is retried by the runner.
   */
  async closeRun(row: ExecutionRow, close: RunClose, now: number): Promise<RunCascade> {
    Object.assign(row, { status: close.status, result: toJson(close.result), failure: toJson(close.failure), end_time: now });
    await this.tx.run('UPDATE executions SET status = $1, result = $2, failure = $3, end_time = $4 WHERE run_id = $5', [
      row.status,
      row.result,
      row.failure,
      now,
      row.run_id,
    ]);
    await this.closeRunTasks(row.run_id, now);
    return await this.children.afterClose(row, close, now);
  }

  /** Appends `WORKFLOW_EXECUTION_CANCEL_REQUESTED` unless the run has one, and makes sure a workflow task follows (returned when queued); the row must be locked. */
  async requestCancel(row: ExecutionRow, reason: string | null, now: number): Promise<CreatedTask[]> {
    const requested = await this.tx.one(
      `SELECT 1 FROM history_events WHERE run_id = $1 AND event_type = '${EventType.WorkflowExecutionCancelRequested}' LIMIT 1`,
      [row.run_id],
    );
    if (requested) return [];
    await this.append(row, [cancelRequestedEvent(reason)], now);
    return this.ensureWorkflowTask(row, now);
  }

  /**
   * Starts the run a closed run continues as new, under the same execution id (the row must be
   * locked): the execution row (and `row`) points to it, running from `now`, its history begins
   * with `WORKFLOW_EXECUTION_STARTED`, and its workflow task is queued. The old run's events stay.
   */
  async continueAsNew(row: ExecutionRow, continuation: PlannedContinuation, now: number): Promise<CreatedTask> {
    const previousRunId = row.run_id;
    await this.tx.run(
      `UPDATE executions SET run_id = $1, workflow_name = $2, status = $3, input = $4, result = NULL, failure = NULL,
         start_time = $5, end_time = NULL, last_event_id = 0, history_warned = 0, sticky_event_id = NULL
       WHERE run_id = $6`,
      [continuation.runId, continuation.workflowName, ExecutionStatus.Running, toJson(continuation.input), now, previousRunId],
    );
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
    await this.append(row, [continuedStartEvent(previousRunId, row, continuation)], now);
    return this.queueWorkflowTask(row, now);
  }

  /** Records that the run was warned of its history size; the row must be locked. */
  async markHistoryWarned(row: ExecutionRow): Promise<void> {
    row.history_warned = 1;
    await this.tx.run('UPDATE executions SET history_warned = 1 WHERE run_id = $1', [row.run_id]);
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
         last_failure = $3, sticky_worker_id = NULL, sticky_until = NULL
       WHERE id = $4`,
      [visibleAt, requeuedDeadline(task, visibleAt), lastFailure, task.id],
    );
    return { taskId: task.id, kind: task.kind, name: task.name, deploymentName: task.deployment_name, visibleAt };
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

  /**
   * Closes whatever a closed run still had queued or leased (locked beforehand), timers
   * included: every token of it goes stale. Queries stay: a closed run still answers them.
   */
  async closeRunTasks(runId: string, now: number): Promise<void> {
    await this.tx.run(
      `UPDATE tasks SET state = 'closed', closed_at = $1, deadline_at = NULL, payload = NULL, heartbeat_details = NULL,
         last_failure = NULL, worker_id = NULL
       WHERE run_id = $2 AND state <> 'closed' AND kind <> 'query'`,
      [now, runId],
    );
  }

  /**
   * Fails a leased attempt whose holder is gone (session expired, worker shut down): a workflow
   * task's attempt is recorded and offered again at once; an activity's follows its retry
   * policy; a query is offered again (it records nothing).
   */
  async failAbandonedAttempt(task: TaskRow, failure: Failure, workerName: string, now: number, options: AttemptFailureOptions = {}): Promise<TransitionOutcome> {
    if (task.kind === 'workflow') return this.failWorkflowAttempt(task, failure, workerName, now, 0);
    if (task.kind === 'query') return { tasks: [await this.requeue(task, now)] };
    return this.failActivityAttempt(task, failure, now, options);
  }

  /** Fails a workflow task's attempt (recorded unless it repeats the last failure) and queues the next after `retryDelayMs`. */
  async failWorkflowAttempt(task: TaskRow, failure: Failure, workerName: string, now: number, retryDelayMs: number): Promise<TransitionOutcome> {
    const signature = failureSignature(failure);
    // The worker that failed it may not hold the run as history has it: any worker takes the next attempt.
    await this.tx.run('UPDATE executions SET sticky_worker_id = NULL WHERE run_id = $1 AND sticky_worker_id IS NOT NULL', [task.run_id]);
    if (signature !== task.last_failure) {
      const row = await this.lockRun(task.run_id);
      const attributes = { last_seen_event_id: task.last_seen_event_id ?? 0, worker_name: workerName, attempt: task.attempt, failure };
      await this.append(row, [{ event_type: EventType.WorkflowTaskFailed, attributes }], now);
    }
    return { tasks: [await this.requeue(task, now + Math.max(0, retryDelayMs), signature)] };
  }

  /**
   * Fails an activity attempt: a retry after the backoff (within the policy and schedule-to-close),
   * or the activity's end (its failure, or its cancellation when the workflow asked it to stop).
   */
  async failActivityAttempt(task: TaskRow, failure: Failure, now: number, options: AttemptFailureOptions = {}): Promise<TransitionOutcome> {
    const plan = planAttemptFailure(task, failure, now, options.noBackoff === true);
    if (!plan.retry) return this.endActivity(task, failure, now, options.keepHolder === true);
    const row = await this.lockRun(task.run_id);
    const attributes = { ...activityIds(payloadOf(task), task), failure, next_attempt_delay_ms: plan.delayMs };
    await this.append(row, [{ event_type: EventType.ActivityTaskRetrying, attributes }], now);
    return { tasks: [await this.requeue(task, now + plan.delayMs)] };
  }

  /**
   * Records the activity's end (`ACTIVITY_TASK_FAILED`, or `ACTIVITY_TASK_CANCELED` when it was
   * asked to stop), closes the task and makes sure the workflow task follows.
   */
  async endActivity(task: TaskRow, failure: Failure | null, now: number, keepHolder: boolean): Promise<TransitionOutcome> {
    const row = await this.lockRun(task.run_id);
    await this.append(row, [activityEndEvent(task, failure)], now);
    await this.closeTask(task.id, now, keepHolder);
    return { tasks: await this.ensureWorkflowTask(row, now) };
  }
}
