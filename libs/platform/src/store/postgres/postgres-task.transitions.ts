import { EventType, RESOLUTION_EVENT_TYPES, type TaskKind, type TaskWire } from '#workflows/protocol';
import { planWorkflowTaskCompletion } from '../../executions/workflow-task.planner.js';
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
} from '../task-transition.rules.js';
import type { PostgresRunWriter } from './postgres-run.writer.js';
import type { PgTx } from './postgres.transaction.js';

const RESOLUTION_TYPES = [...RESOLUTION_EVENT_TYPES];

/**
 * The task transitions of {@link PostgresStore} a worker drives: claim, complete, fail and
 * heartbeat. Each method runs inside the store's transaction; the task row a token names is
 * locked (`FOR UPDATE`) before it is checked, so that two nodes never act on one lease twice.
 */
export class PostgresTaskTransitions {
  constructor(
    private readonly tx: PgTx,
    private readonly writer: PostgresRunWriter,
  ) {}

  /**
   * Leases the oldest visible tasks the claim can take, workflow tasks first. Candidates are
   * locked with `FOR UPDATE SKIP LOCKED`: a task another node is leasing right now is skipped,
   * never leased twice. A session not live at `now` leases nothing; a task whose deadline has
   * passed is left to the timeout sweep.
   */
  async claim(claim: ClaimRequest): Promise<TaskWire[]> {
    const live = await this.tx.one(
      'SELECT 1 FROM worker_sessions WHERE worker_id = $1 AND namespace = $2 AND expires_at > $3',
      [claim.workerId, claim.namespace, claim.now],
    );
    if (!live) return [];
    const leased: TaskWire[] = [];
    const kinds: [TaskKind, string[], number][] = [
      ['workflow', claim.workflowNames, claim.maxWorkflowTasks],
      ['activity', claim.activityNames, claim.maxActivityTasks],
    ];
    for (const [kind, names, max] of kinds) {
      if (max <= 0 || names.length === 0) continue;
      const tasks = await this.tx.rows<TaskRow>(
        `SELECT * FROM tasks
         WHERE namespace = $1 AND kind = $2 AND name = ANY($3) AND state = 'queued' AND visible_at <= $4
           AND (deployment_name IS NULL OR deployment_name = $5) AND (deadline_at IS NULL OR deadline_at > $4)
         ORDER BY visible_at, id LIMIT $6
         FOR UPDATE SKIP LOCKED`,
        [claim.namespace, kind, [...new Set(names)], claim.now, claim.deploymentName, max],
      );
      await this.writer.lockRuns(tasks.map((task) => task.run_id));
      for (const task of tasks) {
        leased.push(kind === 'workflow' ? await this.leaseWorkflowTask(task, claim) : await this.leaseActivityTask(task, claim));
      }
    }
    return leased;
  }

  /** Records a workflow task's commands (see `Store.completeWorkflowTask`). */
  async completeWorkflowTask(completion: WorkflowTaskCompletion): Promise<TransitionOutcome> {
    const task = await this.leasedTask(completion, 'workflow', true);
    if (!task) return DUPLICATE_OUTCOME;
    // The run's other open tasks are locked before its row: closing the run closes them.
    await this.tx.run(`SELECT 1 FROM tasks WHERE run_id = $1 AND state <> 'closed' ORDER BY id FOR UPDATE`, [task.run_id]);
    const row = await this.writer.lockRun(task.run_id);
    const scheduled = await this.tx.rows<{ activity_id: number }>(
      `SELECT activity_id FROM history_events WHERE run_id = $1 AND event_type = '${EventType.ActivityTaskScheduled}'`,
      [row.run_id],
    );
    const lastSeenEventId = task.last_seen_event_id ?? 0;
    const plan = planWorkflowTaskCompletion({
      commands: completion.commands,
      lastSeenEventId,
      workerName: completion.workerName,
      attempt: task.attempt,
      scheduledActivityIds: new Set(scheduled.map((event) => event.activity_id)),
    });
    const now = completion.now;
    const appended = await this.writer.append(row, plan.events, now);
    await this.writer.closeTask(task.id, now, true);
    if (plan.close) {
      await this.tx.run('UPDATE executions SET status = $1, result = $2, failure = $3, end_time = $4 WHERE run_id = $5', [
        plan.close.status,
        toJson(plan.close.result),
        toJson(plan.close.failure),
        now,
        row.run_id,
      ]);
      await this.writer.closeRunTasks(row.run_id, now);
      return { tasks: [], closed: { executionId: row.execution_id, status: plan.close.status } };
    }
    const tasks: CreatedTask[] = [];
    for (const { eventIndex, command } of plan.activities) {
      const payload = activityTaskPayload(row, command, appended[eventIndex]!.event_id, now);
      tasks.push(await this.writer.queueActivityTask(row, now, payload, command.activity_name));
    }
    const resolvedMeanwhile = await this.tx.one(
      'SELECT 1 FROM history_events WHERE run_id = $1 AND event_id > $2 AND event_type = ANY($3) LIMIT 1',
      [row.run_id, lastSeenEventId, RESOLUTION_TYPES],
    );
    if (resolvedMeanwhile) tasks.push(await this.writer.queueWorkflowTask(row, now));
    return { tasks };
  }

  /** Records `WORKFLOW_TASK_FAILED` (unless it repeats the last one) and queues the next attempt after the delay. */
  async failWorkflowTask(failure: TaskFailure & { retryDelayMs: number }): Promise<TransitionOutcome> {
    const task = await this.leasedTask(failure, 'workflow', true);
    if (!task) return DUPLICATE_OUTCOME;
    return this.writer.failWorkflowAttempt(task, failure.failure, failure.workerName, failure.now, failure.retryDelayMs);
  }

  /** Records an activity's result and makes sure the workflow task follows. */
  async completeActivityTask(completion: ActivityTaskCompletion): Promise<TransitionOutcome> {
    const task = await this.leasedTask(completion, 'activity', true);
    if (!task) return DUPLICATE_OUTCOME;
    const row = await this.writer.lockRun(task.run_id);
    const attributes = { ...activityIds(payloadOf(task), task), result: completion.result };
    await this.writer.append(row, [{ event_type: EventType.ActivityTaskCompleted, attributes }], completion.now);
    await this.writer.closeTask(task.id, completion.now, true);
    return { tasks: await this.writer.ensureWorkflowTask(row, completion.now) };
  }

  /** Records an activity attempt's failure: a retry after the backoff, or the activity's failure. */
  async failActivityTask(failure: TaskFailure): Promise<TransitionOutcome> {
    const task = await this.leasedTask(failure, 'activity', true);
    if (!task) return DUPLICATE_OUTCOME;
    return this.writer.failActivityAttempt(task, failure.failure, failure.now, { keepHolder: true });
  }

  /** Records an activity attempt's heartbeat (see `Store.heartbeatActivityTask`). */
  async heartbeatActivityTask(heartbeat: ActivityTaskHeartbeat): Promise<HeartbeatOutcome> {
    checkHeartbeatToken(heartbeat);
    const task = (await this.leasedTask(heartbeat, 'activity', false))!;
    checkNotTimedOut(task, heartbeat);
    const deadline = leasedActivityDeadline(task, task.leased_at, heartbeat.now);
    const details = heartbeat.details === undefined ? task.heartbeat_details : toJson(heartbeat.details);
    await this.tx.run('UPDATE tasks SET heartbeat_at = $1, heartbeat_details = $2, deadline_at = $3 WHERE id = $4', [
      heartbeat.now,
      details,
      deadline,
      task.id,
    ]);
    return { cancelRequested: false };
  }

  private async leaseWorkflowTask(task: TaskRow, claim: ClaimRequest): Promise<TaskWire> {
    const row = await this.writer.lockRun(task.run_id);
    const deadline = claim.workflowTaskTimeoutMs > 0 ? claim.now + claim.workflowTaskTimeoutMs : null;
    await this.lease(task.id, claim, row.last_event_id, deadline);
    const history = await this.tx.rows<HistoryEventRow>(
      'SELECT event_id, event_type, event_timestamp, attributes FROM history_events WHERE run_id = $1 ORDER BY event_id',
      [task.run_id],
    );
    return toWorkflowTaskWire(task, history.map(toHistoryEvent));
  }

  private async leaseActivityTask(task: TaskRow, claim: ClaimRequest): Promise<TaskWire> {
    const row = await this.writer.lockRun(task.run_id);
    await this.lease(task.id, claim, null, leasedActivityDeadline(task, claim.now, claim.now));
    const attributes = { ...activityIds(payloadOf(task), task), worker_name: claim.workerName };
    await this.writer.append(row, [{ event_type: EventType.ActivityTaskStarted, attributes }], claim.now);
    return toActivityTaskWire(task);
  }

  /** The task a token names, locked, and leased by the caller (see `checkLeasedTask`); nothing has been written yet. */
  private async leasedTask(caller: TaskCaller, kind: TaskKind, acceptClosed: boolean): Promise<TaskRow | null> {
    const task = await this.tx.one<TaskRow>('SELECT * FROM tasks WHERE id = $1 FOR UPDATE', [caller.token.taskId]);
    return checkLeasedTask(task, caller, kind, acceptClosed);
  }

  private async lease(taskId: number, claim: ClaimRequest, lastSeenEventId: number | null, deadlineAt: number | null): Promise<void> {
    await this.tx.run(
      `UPDATE tasks SET state = 'leased', worker_id = $1, worker_name = $2, lease_expires_at = $3, last_seen_event_id = $4,
         leased_at = $5, heartbeat_at = $5, deadline_at = $6
       WHERE id = $7`,
      [claim.workerId, claim.workerName, claim.leaseExpiresAt, lastSeenEventId, claim.now, deadlineAt, taskId],
    );
  }
}
