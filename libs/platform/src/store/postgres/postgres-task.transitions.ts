import {
  CommandType,
  EventType,
  EXTERNAL_EVENT_TYPES,
  RESOLUTION_EVENT_TYPES,
  type Command,
  type HistoryEvent,
  type TaskKind,
  type TaskWire,
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
import { toQueryTaskWire } from '../query-task.rules.js';
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
import type { PostgresRunWriter } from './postgres-run.writer.js';
import type { PgTx } from './postgres.transaction.js';

const RESOLUTION_TYPES = [...RESOLUTION_EVENT_TYPES];
const EXTERNAL_TYPES = [...EXTERNAL_EVENT_TYPES];

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
   * Leases the oldest visible tasks the claim can take: queries first (a caller waits on each,
   * and they never wait behind their run's workflow task), then workflow tasks in the slots left,
   * then activity tasks. Candidates are locked with `FOR UPDATE SKIP LOCKED`: a task another node
   * is leasing right now is skipped, never leased twice. A session not live at `now` leases
   * nothing; a task whose deadline has passed is left to the timeout sweep.
   */
  async claim(claim: ClaimRequest): Promise<TaskWire[]> {
    const live = await this.tx.one(
      'SELECT 1 FROM worker_sessions WHERE worker_id = $1 AND namespace = $2 AND expires_at > $3',
      [claim.workerId, claim.namespace, claim.now],
    );
    if (!live) return [];
    const leased: TaskWire[] = [];
    // A query appends nothing: its run's row is not locked.
    for (const task of await this.candidates(claim, 'query', claim.workflowNames, claim.maxWorkflowTasks)) {
      await this.lease(task.id, claim, null, task.deadline_at);
      leased.push(toQueryTaskWire(task, await this.history(task.run_id)));
    }
    const workflows = await this.candidates(claim, 'workflow', claim.workflowNames, claim.maxWorkflowTasks - leased.length);
    const activities = await this.candidates(claim, 'activity', claim.activityNames, claim.maxActivityTasks);
    await this.writer.lockRuns([...workflows, ...activities].map((task) => task.run_id));
    for (const task of workflows) leased.push(await this.leaseWorkflowTask(task, claim));
    for (const task of activities) leased.push(await this.leaseActivityTask(task, claim));
    return leased;
  }

  /**
   * Eager dispatch: leases to the completing worker's claim the tasks the transition created that
   * it can take (see `EagerLease`). Their runs are the transition's own, already locked by it.
   */
  async leaseCreated<T extends Pick<TransitionOutcome, 'tasks' | 'duplicate' | 'leased'>>(outcome: T, claim: ClaimRequest | undefined): Promise<T> {
    if (!claim || outcome.duplicate) return outcome;
    const leased: TaskWire[] = [];
    for (const taskId of eagerPicks(outcome.tasks, claim)) {
      const task = await this.tx.one<TaskRow>(`SELECT * FROM tasks WHERE id = $1 AND state = 'queued' FOR UPDATE`, [taskId]);
      if (task) leased.push(task.kind === 'workflow' ? await this.leaseWorkflowTask(task, claim) : await this.leaseActivityTask(task, claim));
    }
    return withLeased(outcome, leased);
  }

  /**
   * Records a workflow task's commands (see `Store.completeWorkflowTask`). Commands that would
   * close the run while an external event (signal, update, cancellation request) arrived after
   * the task's events are not applied: the attempt fails (`UnhandledExternalEvent`) and the next
   * one, given that event, is offered at once.
   */
  async completeWorkflowTask(completion: WorkflowTaskCompletion): Promise<TransitionOutcome> {
    // The run's open tasks (this one among them) are locked first, in id order as termination
    // locks them, then its row: closing the run, cancelling timers and activities change them.
    const named = await this.tx.one<{ run_id: string }>('SELECT run_id FROM tasks WHERE id = $1', [completion.token.taskId]);
    if (named) await this.writer.lockOpenTasks(named.run_id);
    const task = await this.leasedTask(completion, 'workflow', true);
    if (!task) return DUPLICATE_OUTCOME;
    const row = await this.writer.lockRun(task.run_id);
    const lastSeenEventId = task.last_seen_event_id ?? 0;
    const now = completion.now;
    const plan = planWorkflowTaskCompletion({
      commands: completion.commands,
      lastSeenEventId,
      workerName: completion.workerName,
      attempt: task.attempt,
      firstEventId: row.last_event_id + 1,
      now,
      run: await this.commandState(row.run_id, completion.commands),
      workflowName: row.workflow_name,
      // The task's history was `lastSeenEventId` long when it was leased: as the wire told the worker.
      continueAsNewSuggested: completion.historyLimits !== undefined && lastSeenEventId >= completion.historyLimits.warnEvents,
    });
    const limits = completion.historyLimits;
    // Each child adds its start (or its failure to start) to the run's history too.
    if (!plan.close && exceedsHistoryLimit(row.last_event_id, plan.events.length + plan.children.length, limits)) {
      // The commands are not applied: the platform ends the run, which cannot grow any further.
      const close = historyLimitClose(row.last_event_id, limits!);
      await this.writer.append(row, [failedEvent(close.failure!)], now);
      await this.writer.closeTask(task.id, now, true);
      return closedOutcome(row.execution_id, close.status, await this.writer.closeRun(row, close, now));
    }
    if (plan.close) {
      const unhandled = await this.tx.one<{ event_id: number; event_type: string }>(
        'SELECT event_id, event_type FROM history_events WHERE run_id = $1 AND event_id > $2 AND event_type = ANY($3) ORDER BY event_id LIMIT 1',
        [row.run_id, lastSeenEventId, EXTERNAL_TYPES],
      );
      if (unhandled) return this.writer.failWorkflowAttempt(task, unhandledExternalEventFailure(unhandled), completion.workerName, now, 0);
    }
    const appended = await this.writer.append(row, plan.events, now);
    await this.writer.closeTask(task.id, now, true);
    const children = await this.writer.children.start(row, plan.children, completion.childStartFailures, now);
    if (plan.close) {
      // A closed run accepts no event: whatever it still had queued or leased is closed, its tokens stale.
      const cascade = await this.writer.closeRun(row, plan.close, now);
      const outcome = closedOutcome(row.execution_id, plan.close.status, cascade);
      outcome.tasks.unshift(...children.tasks);
      if (plan.close.continueAsNew) outcome.tasks.push(await this.writer.continueAsNew(row, plan.close.continueAsNew, now));
      return outcome;
    }
    // The worker that answered holds the run in memory: its next workflow tasks are offered to it first.
    await this.writer.setStickyWorker(row, completion.workerId, lastSeenEventId);
    const tasks: CreatedTask[] = [];
    for (const { eventIndex, command } of plan.activities) {
      const payload = activityTaskPayload(row, command, appended[eventIndex]!.event_id, now);
      tasks.push(await this.writer.queueActivityTask(row, now, payload, command.activity_name));
    }
    for (const timer of plan.timers) tasks.push(await this.writer.queueTimerTask(row, timer));
    await this.writer.closeTimers(row.run_id, plan.canceledTimerIds, now);
    await this.writer.cancelActivities(row, plan.activityCancels, now);
    // The children's starts are recorded after the completion's own events; the next workflow task sees them.
    await this.writer.append(row, children.events, now);
    tasks.push(...children.tasks, ...(await this.writer.children.cancel(row, plan.childCancels, now)));
    const resolvedMeanwhile = await this.tx.one(
      'SELECT 1 FROM history_events WHERE run_id = $1 AND event_id > $2 AND event_type = ANY($3) LIMIT 1',
      [row.run_id, lastSeenEventId, RESOLUTION_TYPES],
    );
    if (resolvedMeanwhile) tasks.push(await this.writer.queueWorkflowTask(row, now));
    if (!historyWarningDue(row.last_event_id, row.history_warned, limits)) return { tasks };
    await this.writer.markHistoryWarned(row);
    return { tasks, historyWarning: { executionId: row.execution_id, runId: row.run_id, historyLength: row.last_event_id } };
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
    return { cancelRequested: task.cancel_requested === 1 };
  }

  /** Up to `max` queued, visible tasks of one kind the claim may take, oldest first, locked (others' locked ones skipped). */
  private async candidates(claim: ClaimRequest, kind: TaskKind, names: readonly string[], max: number): Promise<TaskRow[]> {
    if (max <= 0 || names.length === 0) return [];
    return this.tx.rows<TaskRow>(
      `SELECT * FROM tasks
       WHERE namespace = $1 AND kind = $2 AND name = ANY($3) AND state = 'queued' AND visible_at <= $4
         AND (deployment_name IS NULL OR deployment_name = $5) AND (deadline_at IS NULL OR deadline_at > $4)
         AND ${STICKY_CLAIM_CONDITION('$7', '$4', '$4')}
       ORDER BY visible_at, id LIMIT $6
       FOR UPDATE SKIP LOCKED`,
      [claim.namespace, kind, [...new Set(names)], claim.now, claim.deploymentName, max, claim.workerId],
    );
  }

  /** What the run's history says about the activity, timer and update ids `commands` may name. */
  private async commandState(runId: string, commands: readonly Command[]): Promise<RunCommandState> {
    const rows = await this.tx.rows<CommandStateRow>(
      `SELECT event_id, event_type, activity_id,
         CASE WHEN event_type = '${EventType.ActivityTaskScheduled}' THEN NULL ELSE attributes END AS attributes
       FROM history_events WHERE run_id = $1 AND event_type = ANY($2)`,
      [runId, COMMAND_STATE_EVENT_TYPES],
    );
    const updateIds = [...new Set(commands.flatMap((command) => (command.type === CommandType.CompleteUpdate ? [command.update_id] : [])))];
    const updateRows =
      updateIds.length === 0
        ? []
        : await this.tx.rows<UpdateEventRow>(
            'SELECT event_id, event_type, attributes FROM history_events WHERE run_id = $1 AND update_id = ANY($2) ORDER BY event_id',
            [runId, updateIds],
          );
    return runCommandState(rows, updateRows);
  }

  /** The run's history after `afterEventId` (0: all of it). */
  private async history(runId: string, afterEventId = 0): Promise<HistoryEvent[]> {
    const rows = await this.tx.rows<HistoryEventRow>(
      'SELECT event_id, event_type, event_timestamp, attributes FROM history_events WHERE run_id = $1 AND event_id > $2 ORDER BY event_id',
      [runId, afterEventId],
    );
    return rows.map(toHistoryEvent);
  }

  private async leaseWorkflowTask(task: TaskRow, claim: ClaimRequest): Promise<TaskWire> {
    const row = await this.writer.lockRun(task.run_id);
    const deadline = claim.workflowTaskTimeoutMs > 0 ? claim.now + claim.workflowTaskTimeoutMs : null;
    await this.lease(task.id, claim, row.last_event_id, deadline);
    const after = heldUpTo(row, claim.workerId);
    return toWorkflowTaskWire(task, row, await this.history(task.run_id, after), after, claim.historyWarnEvents);
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
