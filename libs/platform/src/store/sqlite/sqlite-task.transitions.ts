import {
  ErrorCode,
  EventType,
  ExecutionStatus,
  RESOLUTION_EVENT_TYPES,
  formatTaskToken,
  type ActivityTaskWire,
  type Failure,
  type HistoryEvent,
  type NewEvent,
  type TaskKind,
  type TaskWire,
  type WorkflowTaskWire,
} from '#workflows/protocol';
import { PlatformError } from '../../errors/platform.error.js';
import { planActivityFailure } from '../../executions/activity-retry.planner.js';
import { planWorkflowTaskCompletion } from '../../executions/workflow-task.planner.js';
import type {
  ActivityTaskCompletion,
  ClaimRequest,
  CreatedTask,
  ExpiredLeases,
  TaskCaller,
  TaskFailure,
  TransitionOutcome,
  WorkflowTaskCompletion,
} from '../store.interface.js';
import {
  fromJson,
  toHistoryEvent,
  toJson,
  type ActivityTaskPayload,
  type ExecutionRow,
  type HistoryEventRow,
  type TaskRow,
} from './sqlite.rows.js';
import type { SqliteStatements } from './sqlite.statements.js';

const RESOLUTION_TYPES_SQL = [...RESOLUTION_EVENT_TYPES].map((type) => `'${type}'`).join(', ');

/**
 * The task transitions of {@link SqliteStore}: each method runs inside the store's
 * transaction and does the synchronous SQL work of one Store operation.
 */
export class SqliteTaskTransitions {
  constructor(private readonly statements: SqliteStatements) {}

  /** The execution row of a namespace's execution id. */
  execution(namespace: string, executionId: string): ExecutionRow | undefined {
    return this.statements
      .get('SELECT * FROM executions WHERE namespace = ? AND execution_id = ?')
      .get(namespace, executionId) as ExecutionRow | undefined;
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

  /** Leases the oldest visible tasks the claim can take, workflow tasks first. */
  claim(claim: ClaimRequest): TaskWire[] {
    const leased: TaskWire[] = [];
    const kinds: [TaskKind, string[], number][] = [
      ['workflow', claim.workflowNames, claim.maxWorkflowTasks],
      ['activity', claim.activityNames, claim.maxActivityTasks],
    ];
    const select = this.statements.get(
      `SELECT * FROM tasks
       WHERE namespace = ? AND kind = ? AND name = ? AND state = 'queued' AND visible_at <= ?
         AND (deployment_name IS NULL OR deployment_name = ?)
       ORDER BY visible_at, id LIMIT ?`,
    );
    for (const [kind, names, max] of kinds) {
      if (max <= 0 || names.length === 0) continue;
      // One indexed range per name, merged here: cheaper than an IN list sorted by SQLite.
      const candidates: TaskRow[] = [];
      for (const name of new Set(names)) {
        candidates.push(...(select.all(claim.namespace, kind, name, claim.now, claim.deploymentName, max) as TaskRow[]));
      }
      candidates.sort((a, b) => a.visible_at - b.visible_at || a.id - b.id);
      for (const task of candidates.slice(0, max)) {
        leased.push(kind === 'workflow' ? this.leaseWorkflowTask(task, claim) : this.leaseActivityTask(task, claim));
      }
    }
    return leased;
  }

  /** Records a workflow task's commands (see `Store.completeWorkflowTask`). */
  completeWorkflowTask(completion: WorkflowTaskCompletion): TransitionOutcome {
    const task = this.leasedTask(completion, 'workflow');
    const row = this.runRow(task.run_id);
    const scheduledActivityIds = new Set(
      this.statements
        .get(`SELECT activity_id FROM history_events WHERE run_id = ? AND event_type = '${EventType.ActivityTaskScheduled}'`)
        .pluck()
        .all(row.run_id) as number[],
    );
    const lastSeenEventId = task.last_seen_event_id ?? 0;
    const plan = planWorkflowTaskCompletion({
      commands: completion.commands,
      lastSeenEventId,
      workerName: completion.workerName,
      attempt: task.attempt,
      scheduledActivityIds,
    });
    const appended = this.append(row, plan.events, completion.now);
    this.deleteTask(task.id);
    if (plan.close) {
      this.statements
        .get('UPDATE executions SET status = ?, result = ?, failure = ?, end_time = ? WHERE run_id = ?')
        .run(plan.close.status, toJson(plan.close.result), toJson(plan.close.failure), completion.now, row.run_id);
      // A closed run accepts no event: whatever it still had queued or leased goes.
      this.statements.get('DELETE FROM tasks WHERE run_id = ?').run(row.run_id);
      return { tasks: [], closed: { executionId: row.execution_id, status: plan.close.status } };
    }
    const tasks: CreatedTask[] = plan.activities.map(({ eventIndex, command }) =>
      this.queueActivityTask(row, completion.now, {
        workflow_name: row.workflow_name,
        activity_id: command.activity_id,
        scheduled_event_id: appended[eventIndex]!.event_id,
        input: command.input,
        start_to_close_timeout_ms: command.start_to_close_timeout_ms,
        retry: command.retry,
      }, command.activity_name),
    );
    const resolvedMeanwhile = this.statements
      .get(`SELECT 1 FROM history_events WHERE run_id = ? AND event_id > ? AND event_type IN (${RESOLUTION_TYPES_SQL}) LIMIT 1`)
      .get(row.run_id, lastSeenEventId);
    if (resolvedMeanwhile) tasks.push(this.queueWorkflowTask(row, completion.now));
    return { tasks };
  }

  /** Records `WORKFLOW_TASK_FAILED` and queues the next attempt after the delay. */
  failWorkflowTask(failure: TaskFailure & { retryDelayMs: number }): TransitionOutcome {
    const task = this.leasedTask(failure, 'workflow');
    return this.failWorkflowAttempt(task, failure.failure, failure.workerName, failure.now, failure.retryDelayMs);
  }

  /** Records an activity's result and makes sure the workflow task follows. */
  completeActivityTask(completion: ActivityTaskCompletion): TransitionOutcome {
    const task = this.leasedTask(completion, 'activity');
    const row = this.runRow(task.run_id);
    const payload = fromJson<ActivityTaskPayload>(task.payload)!;
    this.append(
      row,
      [
        {
          event_type: EventType.ActivityTaskCompleted,
          attributes: {
            scheduled_event_id: payload.scheduled_event_id,
            activity_id: payload.activity_id,
            attempt: task.attempt,
            result: completion.result,
          },
        },
      ],
      completion.now,
    );
    this.deleteTask(task.id);
    return { tasks: this.ensureWorkflowTask(row, completion.now) };
  }

  /** Records an activity attempt's failure: a retry after the backoff, or the activity's failure. */
  failActivityTask(failure: TaskFailure): TransitionOutcome {
    const task = this.leasedTask(failure, 'activity');
    return this.failActivityAttempt(task, failure.failure, failure.now);
  }

  /**
   * Takes back the tasks leased by sessions expired at `now`: each lease's attempt fails with
   * `WorkerSessionExpired` (a workflow task is offered again at once, an activity follows its
   * retry policy), so that the expired worker's tokens are stale from here on.
   */
  expireLeases(now: number): ExpiredLeases[] {
    const leased = this.statements
      .get(
        `SELECT t.*, s.worker_name AS session_worker_name FROM tasks t JOIN worker_sessions s ON s.worker_id = t.worker_id
         WHERE t.state = 'leased' AND s.expires_at <= ? ORDER BY t.id`,
      )
      .all(now) as (TaskRow & { session_worker_name: string })[];
    const byNamespace = new Map<string, CreatedTask[]>();
    for (const task of leased) {
      const failure: Failure = {
        type: 'WorkerSessionExpired',
        message: `worker ${task.session_worker_name} stopped heartbeating while it held this task`,
      };
      const outcome =
        task.kind === 'workflow'
          ? this.failWorkflowAttempt(task, failure, task.session_worker_name, now, 0)
          : this.failActivityAttempt(task, failure, now);
      const tasks = byNamespace.get(task.namespace) ?? [];
      tasks.push(...outcome.tasks);
      byNamespace.set(task.namespace, tasks);
    }
    return [...byNamespace].map(([namespace, tasks]) => ({ namespace, tasks }));
  }

  private failWorkflowAttempt(task: TaskRow, failure: Failure, workerName: string, now: number, retryDelayMs: number): TransitionOutcome {
    const row = this.runRow(task.run_id);
    this.append(
      row,
      [
        {
          event_type: EventType.WorkflowTaskFailed,
          attributes: { last_seen_event_id: task.last_seen_event_id ?? 0, worker_name: workerName, attempt: task.attempt, failure },
        },
      ],
      now,
    );
    const visibleAt = now + Math.max(0, retryDelayMs);
    this.requeue(task.id, visibleAt);
    return { tasks: [{ kind: 'workflow', name: task.name, deploymentName: task.deployment_name, visibleAt }] };
  }

  private failActivityAttempt(task: TaskRow, failure: Failure, now: number): TransitionOutcome {
    const row = this.runRow(task.run_id);
    const payload = fromJson<ActivityTaskPayload>(task.payload)!;
    const plan = planActivityFailure(payload.retry, task.attempt, failure);
    const ids = { scheduled_event_id: payload.scheduled_event_id, activity_id: payload.activity_id, attempt: task.attempt };
    if (plan.retry) {
      this.append(row, [{ event_type: EventType.ActivityTaskRetrying, attributes: { ...ids, failure, next_attempt_delay_ms: plan.delayMs } }], now);
      const visibleAt = now + plan.delayMs;
      this.requeue(task.id, visibleAt);
      return { tasks: [{ kind: 'activity', name: task.name, deploymentName: task.deployment_name, visibleAt }] };
    }
    this.append(row, [{ event_type: EventType.ActivityTaskFailed, attributes: { ...ids, failure } }], now);
    this.deleteTask(task.id);
    return { tasks: this.ensureWorkflowTask(row, now) };
  }

  private leaseWorkflowTask(task: TaskRow, claim: ClaimRequest): WorkflowTaskWire {
    const row = this.runRow(task.run_id);
    this.lease(task.id, claim, row.last_event_id);
    const history = (
      this.statements
        .get('SELECT event_id, event_type, event_timestamp, attributes FROM history_events WHERE run_id = ? ORDER BY event_id')
        .all(task.run_id) as HistoryEventRow[]
    ).map(toHistoryEvent);
    return {
      kind: 'workflow',
      task_token: formatTaskToken({ kind: 'workflow', taskId: task.id, attempt: task.attempt }),
      execution_id: task.execution_id,
      run_id: task.run_id,
      workflow_name: task.name,
      attempt: task.attempt,
      history,
    };
  }

  private leaseActivityTask(task: TaskRow, claim: ClaimRequest): ActivityTaskWire {
    const row = this.runRow(task.run_id);
    const payload = fromJson<ActivityTaskPayload>(task.payload)!;
    this.lease(task.id, claim, null);
    this.append(
      row,
      [
        {
          event_type: EventType.ActivityTaskStarted,
          attributes: {
            scheduled_event_id: payload.scheduled_event_id,
            activity_id: payload.activity_id,
            attempt: task.attempt,
            worker_name: claim.workerName,
          },
        },
      ],
      claim.now,
    );
    return {
      kind: 'activity',
      task_token: formatTaskToken({ kind: 'activity', taskId: task.id, attempt: task.attempt }),
      execution_id: task.execution_id,
      run_id: task.run_id,
      workflow_name: payload.workflow_name,
      activity_id: payload.activity_id,
      activity_name: task.name,
      scheduled_event_id: payload.scheduled_event_id,
      input: payload.input,
      attempt: task.attempt,
      start_to_close_timeout_ms: payload.start_to_close_timeout_ms,
      heartbeat_details: fromJson(task.heartbeat_details),
    };
  }

  /**
   * The task a token names, leased by the caller. Unknown (or another namespace's) is
   * `WF_TASK_NOT_FOUND`; another attempt, not leased, or leased by another worker is
   * `WF_TASK_TOKEN_STALE`. Either way nothing has been written yet.
   */
  private leasedTask(caller: TaskCaller, kind: TaskKind): TaskRow {
    const token = formatTaskToken(caller.token);
    const task = this.statements.get('SELECT * FROM tasks WHERE id = ?').get(caller.token.taskId) as TaskRow | undefined;
    if (!task || task.namespace !== caller.namespace || task.kind !== kind || caller.token.kind !== kind) {
      throw new PlatformError(ErrorCode.TaskNotFound, `task ${token} not found`);
    }
    if (task.attempt !== caller.token.attempt || task.state !== 'leased' || task.worker_id !== caller.workerId) {
      throw new PlatformError(ErrorCode.TaskTokenStale, `task token ${token} is stale: the task is no longer leased to this worker at this attempt`);
    }
    return task;
  }

  private runRow(runId: string): ExecutionRow {
    const row = this.statements.get('SELECT * FROM executions WHERE run_id = ?').get(runId) as ExecutionRow | undefined;
    if (!row) throw new PlatformError(ErrorCode.Internal, `run ${runId} of a task has no execution`);
    return row;
  }

  private lease(taskId: number, claim: ClaimRequest, lastSeenEventId: number | null): void {
    this.statements
      .get(`UPDATE tasks SET state = 'leased', worker_id = ?, lease_expires_at = ?, last_seen_event_id = ? WHERE id = ?`)
      .run(claim.workerId, claim.leaseExpiresAt, lastSeenEventId, taskId);
  }

  private requeue(taskId: number, visibleAt: number): void {
    this.statements
      .get(
        `UPDATE tasks SET state = 'queued', attempt = attempt + 1, visible_at = ?, worker_id = NULL,
           lease_expires_at = NULL, last_seen_event_id = NULL WHERE id = ?`,
      )
      .run(visibleAt, taskId);
  }

  private deleteTask(taskId: number): void {
    this.statements.get('DELETE FROM tasks WHERE id = ?').run(taskId);
  }

  private queueActivityTask(row: ExecutionRow, now: number, payload: ActivityTaskPayload, activityName: string): CreatedTask {
    this.statements
      .get(
        `INSERT INTO tasks (namespace, kind, execution_id, run_id, name, deployment_name, state, attempt, visible_at, payload)
         VALUES (?, 'activity', ?, ?, ?, ?, 'queued', 1, ?, ?)`,
      )
      .run(row.namespace, row.execution_id, row.run_id, activityName, row.deployment_name, now, JSON.stringify(payload));
    return { kind: 'activity', name: activityName, deploymentName: row.deployment_name, visibleAt: now };
  }

  /** Queues the run's workflow task unless one is already queued or leased (a leased one picks the event up on completion). */
  private ensureWorkflowTask(row: ExecutionRow, now: number): CreatedTask[] {
    const existing = this.statements.get(`SELECT 1 FROM tasks WHERE run_id = ? AND kind = 'workflow'`).get(row.run_id);
    return existing ? [] : [this.queueWorkflowTask(row, now)];
  }
}
