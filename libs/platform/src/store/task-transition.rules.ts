import {
  ErrorCode,
  EventType,
  formatTaskToken,
  parseTaskToken,
  activityTimeoutFailure,
  planActivityFailure,
  timeoutEndsActivity,
  type ActivityFailurePlan,
  type ActivityTaskWire,
  type Failure,
  type HistoryEvent,
  type NewEvent,
  type ScheduleActivityCommand,
  type TaskKind,
  type TaskWire,
  type WorkflowTaskWire,
} from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';
import {
  nextActivityDeadline,
  scheduleToCloseDeadline,
  workflowTaskTimeoutFailure,
} from '../executions/activity-timeout.planner.js';
import type { ActivityTaskHeartbeat, ClaimRequest, CreatedTask, TaskCaller, TransitionOutcome } from './store.interface.js';
import { fromJson, type ActivityTaskPayload, type ExecutionRow, type TaskRow, type TimerTaskPayload } from './store.rows.js';

/*
 * The engine-neutral rules of the task transitions: every engine reads and locks rows its own
 * way, then asks these pure functions what to write, so that both engines decide alike.
 */

/** What a retried completion of an already closed attempt answers: nothing changed. */
export const DUPLICATE_OUTCOME: TransitionOutcome = Object.freeze({ tasks: [], duplicate: true }) as TransitionOutcome;

/** The name a failure gives a worker whose session and lease no longer tell it. */
export const UNKNOWN_WORKER = 'unknown worker';

/** Sessions expired longer ago than this are purged when a new one opens. */
export const SESSION_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * How long a workflow task waits for the worker that holds its run in memory (sticky execution)
 * before any worker may take it with the full history. A worker whose session ended never holds it.
 */
export const STICKY_TIMEOUT_MS = 5_000;

/** The stickiness of a workflow task queued at `now` for a run last answered by `stickyWorkerId`. */
export function stickyOf(stickyWorkerId: string | null | undefined, now: number): { workerId: string; until: number } | null {
  return stickyWorkerId ? { workerId: stickyWorkerId, until: now + STICKY_TIMEOUT_MS } : null;
}

/** A queued workflow task no longer sticky (its holder left), offered again to every worker. */
export function unstuckTask(task: Pick<TaskRow, 'kind' | 'name' | 'deployment_name' | 'visible_at'>): CreatedTask {
  return { kind: task.kind, name: task.name, deploymentName: task.deployment_name, visibleAt: Number(task.visible_at) };
}

/**
 * The claim condition on sticky workflow tasks (SQL over `tasks`, parameters: the claiming
 * worker, now, now): not sticky, sticky to the claimer, past its sticky time, or sticky to a
 * worker whose session is no longer live.
 */
export const STICKY_CLAIM_CONDITION = (worker: string, now: string, liveAt: string): string =>
  `(sticky_worker_id IS NULL OR sticky_worker_id = ${worker} OR sticky_until <= ${now}
    OR NOT EXISTS (SELECT 1 FROM worker_sessions s WHERE s.worker_id = tasks.sticky_worker_id AND s.expires_at > ${liveAt}))`;

/** The ids every activity event carries. */
export function activityIds(payload: ActivityTaskPayload, task: TaskRow): { scheduled_event_id: number; activity_id: number; attempt: number } {
  return { scheduled_event_id: payload.scheduled_event_id, activity_id: payload.activity_id, attempt: task.attempt };
}

/** The activity payload of a task row (an activity task always has one). */
export function payloadOf(task: TaskRow): ActivityTaskPayload {
  return fromJson<ActivityTaskPayload>(task.payload)!;
}

/** What an activity task row carries, for a SCHEDULE_ACTIVITY command recorded as event `scheduledEventId` at `now`. */
export function activityTaskPayload(row: ExecutionRow, command: ScheduleActivityCommand, scheduledEventId: number, now: number): ActivityTaskPayload {
  return {
    workflow_name: row.workflow_name,
    activity_id: command.activity_id,
    scheduled_event_id: scheduledEventId,
    input: command.input,
    start_to_close_timeout_ms: command.start_to_close_timeout_ms,
    schedule_to_start_timeout_ms: command.schedule_to_start_timeout_ms,
    schedule_to_close_timeout_ms: command.schedule_to_close_timeout_ms,
    heartbeat_timeout_ms: command.heartbeat_timeout_ms,
    scheduled_at: now,
    retry: command.retry,
  };
}

/** The deadline of an activity attempt queued to become visible at `visibleAt`. */
export function queuedActivityDeadline(payload: ActivityTaskPayload, visibleAt: number): number | null {
  const times = { state: 'queued' as const, scheduledAt: payload.scheduled_at ?? null, visibleAt, leasedAt: null, heartbeatAt: null };
  return nextActivityDeadline(payload, times)?.at ?? null;
}

/**
 * The deadline of a task's next attempt queued visible at `visibleAt`: an activity's queued
 * timeouts; a query keeps its own; a workflow task has none while queued.
 */
export function requeuedDeadline(task: TaskRow, visibleAt: number): number | null {
  if (task.kind === 'activity') return queuedActivityDeadline(payloadOf(task), visibleAt);
  return task.kind === 'query' ? task.deadline_at : null;
}

/** The deadline of a leased activity attempt, leased at `leasedAt` and last heard from at `heartbeatAt`. */
export function leasedActivityDeadline(task: TaskRow, leasedAt: number | null, heartbeatAt: number): number | null {
  const payload = payloadOf(task);
  const times = { state: 'leased' as const, scheduledAt: payload.scheduled_at ?? null, visibleAt: task.visible_at, leasedAt, heartbeatAt };
  return nextActivityDeadline(payload, times)?.at ?? null;
}

/** The text a workflow task's failure is compared by: a repeat of the last one is not recorded again. */
export function failureSignature(failure: Failure): string {
  return JSON.stringify({ type: failure.type, message: failure.message });
}

/**
 * Decides an activity attempt's failure by its retry policy, never retrying past the
 * activity's schedule-to-close deadline, and never retrying an attempt asked to stop.
 */
export function planAttemptFailure(task: TaskRow, failure: Failure, now: number, noBackoff: boolean): ActivityFailurePlan {
  // The workflow asked the activity to stop: whatever ended the attempt, it is not retried.
  if (task.cancel_requested) return { retry: false, reason: 'cancel_requested' };
  const payload = payloadOf(task);
  const closeDeadline = scheduleToCloseDeadline(payload, payload.scheduled_at ?? null);
  return planActivityFailure(payload.retry, task.attempt, failure, { now, closeDeadline, noBackoff });
}

/**
 * Checks that the task a token names is leased by the caller. Unknown (or another namespace's)
 * is `WF_TASK_NOT_FOUND`; another attempt, not leased, or leased by another worker is
 * `WF_TASK_TOKEN_STALE`. With `acceptClosed`, a task the caller itself closed at this attempt
 * answers `null`: a retried completion after a lost response, which changes nothing.
 */
export function checkLeasedTask(task: TaskRow | undefined, caller: TaskCaller, kind: TaskKind, acceptClosed: boolean): TaskRow | null {
  const token = formatTaskToken(caller.token);
  if (!task || task.namespace !== caller.namespace || task.kind !== kind || caller.token.kind !== kind) {
    throw new PlatformError(ErrorCode.TaskNotFound, `task ${token} not found`);
  }
  const sameLease = task.attempt === caller.token.attempt && task.worker_id === caller.workerId;
  if (acceptClosed && sameLease && task.state === 'closed') return null;
  if (!sameLease || task.state !== 'leased') {
    throw new PlatformError(ErrorCode.TaskTokenStale, `task token ${token} is stale: the task is no longer leased to this worker at this attempt`);
  }
  return task;
}

/** Refuses a heartbeat naming a workflow or query task (`WF_REQUEST_INVALID`), before anything is read. */
export function checkHeartbeatToken(heartbeat: ActivityTaskHeartbeat): void {
  if (heartbeat.token.kind !== 'activity') {
    throw new PlatformError(ErrorCode.RequestInvalid, `task_token names a ${heartbeat.token.kind} task: only activity tasks heartbeat`);
  }
}

/** Refuses a heartbeat of an attempt whose deadline has passed (`WF_TASK_TOKEN_STALE`), even before the sweep. */
export function checkNotTimedOut(task: TaskRow, heartbeat: ActivityTaskHeartbeat): void {
  if (task.deadline_at !== null && task.deadline_at <= heartbeat.now) {
    throw new PlatformError(ErrorCode.TaskTokenStale, `task token ${formatTaskToken(heartbeat.token)} is stale: the attempt timed out`);
  }
}

/** What a due deadline does to its task. */
export type TaskTimeoutPlan =
  /** Not due after all (a row written by other rules): keep the right deadline (or none). */
  | { action: 'reset'; deadlineAt: number | null }
  /** A leased workflow task timed out: its attempt fails and the next one is offered at once. */
  | { action: 'failWorkflowAttempt'; failure: Failure; workerName: string }
  /** A schedule-to-start or schedule-to-close timeout: the activity fails. */
  | { action: 'failActivity'; failure: Failure }
  /** A start-to-close or heartbeat timeout: the attempt fails by the retry policy. */
  | { action: 'failActivityAttempt'; failure: Failure }
  /** A durable timer is due: it fires. */
  | { action: 'fireTimer' }
  /** A query nobody answered in time: it closes unanswered. */
  | { action: 'closeQuery' };

/** Decides what the due deadline of `task` does at `now`. */
export function planTaskTimeout(task: TaskRow, now: number): TaskTimeoutPlan {
  if (task.kind === 'timer') return { action: 'fireTimer' };
  if (task.kind === 'query') return { action: 'closeQuery' };
  if (task.kind === 'workflow') {
    if (task.state !== 'leased' || task.leased_at === null) return { action: 'reset', deadlineAt: null };
    const failure = workflowTaskTimeoutFailure(task.deadline_at! - task.leased_at);
    return { action: 'failWorkflowAttempt', failure, workerName: task.worker_name ?? UNKNOWN_WORKER };
  }
  const payload = payloadOf(task);
  const deadline =
    task.state === 'closed'
      ? null
      : nextActivityDeadline(payload, {
          state: task.state,
          scheduledAt: payload.scheduled_at ?? null,
          visibleAt: task.visible_at,
          leasedAt: task.leased_at,
          heartbeatAt: task.heartbeat_at,
        });
  if (!deadline || deadline.at > now) return { action: 'reset', deadlineAt: deadline?.at ?? null };
  const failure = activityTimeoutFailure(task.name, task.attempt, deadline);
  return timeoutEndsActivity(deadline.timeoutType) ? { action: 'failActivity', failure } : { action: 'failActivityAttempt', failure };
}

/** A leased workflow task in its wire shape, with the run's full history. */
export function toWorkflowTaskWire(task: TaskRow, run: ExecutionRow, history: HistoryEvent[], afterEventId: number, historyWarnEvents?: number): WorkflowTaskWire {
  return {
    kind: 'workflow',
    task_token: formatTaskToken({ kind: 'workflow', taskId: task.id, attempt: task.attempt }),
    execution_id: task.execution_id,
    run_id: task.run_id,
    workflow_name: task.name,
    attempt: task.attempt,
    history,
    ...(afterEventId > 0 ? { history_after_event_id: afterEventId } : {}),
    history_length: run.last_event_id,
    continue_as_new_suggested: historyWarnEvents !== undefined && run.last_event_id >= historyWarnEvents,
  };
}

/**
 * Incremental history (issue 11): the last event of the run that `workerId` holds in memory, when
 * it is the run's sticky worker; its workflow task then carries only the later events (the worker
 * fetches the rest if it no longer holds the run). 0: the task carries the whole history.
 */
export function heldUpTo(run: ExecutionRow, workerId: string): number {
  const seen = run.sticky_event_id ?? 0;
  return run.sticky_worker_id === workerId && seen > 0 && seen < run.last_event_id ? seen : 0;
}

/** The `TIMER_FIRED` event of a due timer task. */
export function timerFiredEvent(task: TaskRow): NewEvent {
  const payload = fromJson<TimerTaskPayload>(task.payload)!;
  return { event_type: EventType.TimerFired, attributes: { timer_id: payload.timer_id, started_event_id: payload.started_event_id } };
}

/** The open timer task of `timerId` among a run's open timer tasks, if it has not fired. */
export function timerTaskOf(tasks: readonly TaskRow[], timerId: number): TaskRow | undefined {
  return tasks.find((task) => fromJson<TimerTaskPayload>(task.payload)!.timer_id === timerId);
}

/**
 * What `REQUEST_CANCEL_ACTIVITY` does to the activity's open task (among the run's open
 * activity tasks): a queued attempt (not started, or waiting for its retry) is cancelled at
 * once; a leased one is asked to stop (its heartbeat says so, its end is recorded as cancelled);
 * a closed activity is left alone (only the request is recorded).
 */
export type ActivityCancelPlan = { action: 'none' } | { action: 'cancel'; task: TaskRow } | { action: 'request'; task: TaskRow };

/** Decides what cancelling activity `activityId` does (see {@link ActivityCancelPlan}). */
export function planActivityCancel(openActivityTasks: readonly TaskRow[], activityId: number): ActivityCancelPlan {
  const task = openActivityTasks.find((candidate) => payloadOf(candidate).activity_id === activityId);
  if (!task) return { action: 'none' };
  return task.state === 'queued' ? { action: 'cancel', task } : { action: 'request', task };
}

/**
 * The event that ends an activity: `ACTIVITY_TASK_CANCELED` when the workflow asked it to stop
 * (or it never started: `failure` null), `ACTIVITY_TASK_FAILED` otherwise.
 */
export function activityEndEvent(task: TaskRow, failure: Failure | null): NewEvent {
  const ids = activityIds(payloadOf(task), task);
  if (task.cancel_requested || failure === null) return { event_type: EventType.ActivityTaskCanceled, attributes: { ...ids, failure } };
  return { event_type: EventType.ActivityTaskFailed, attributes: { ...ids, failure } };
}

/** A leased activity task in its wire shape. */
export function toActivityTaskWire(task: TaskRow): ActivityTaskWire {
  const payload = payloadOf(task);
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
    heartbeat_timeout_ms: payload.heartbeat_timeout_ms ?? 0,
    heartbeat_details: fromJson(task.heartbeat_details),
  };
}

/**
 * Eager dispatch (issue 11): the ids of the tasks a transition created that the completing
 * worker's claim can take now, in the order they were created, within its slots. A workflow task
 * sticky to another worker is left to its holder; timers and queries are never taken this way.
 */
export function eagerPicks(tasks: readonly CreatedTask[], claim: ClaimRequest): number[] {
  const names = { workflow: new Set(claim.workflowNames), activity: new Set(claim.activityNames) };
  const slots = { workflow: claim.maxWorkflowTasks, activity: claim.maxActivityTasks };
  const picks: number[] = [];
  for (const task of tasks) {
    if (task.taskId === undefined || (task.kind !== 'workflow' && task.kind !== 'activity')) continue;
    if (slots[task.kind] <= 0 || !names[task.kind].has(task.name) || task.visibleAt > claim.now) continue;
    if (task.deploymentName !== null && task.deploymentName !== claim.deploymentName) continue;
    if (task.sticky && task.sticky.workerId !== claim.workerId && task.sticky.until > claim.now) continue;
    slots[task.kind]--;
    picks.push(task.taskId);
  }
  return picks;
}

/** The outcome once `leased` went to the completing worker: those tasks are no longer announced to anyone. */
export function withLeased<T extends Pick<TransitionOutcome, 'tasks' | 'leased'>>(outcome: T, leased: readonly TaskWire[]): T {
  if (leased.length === 0) return outcome;
  const ids = new Set(leased.map((task) => parseTaskToken(task.task_token)?.taskId));
  return { ...outcome, tasks: outcome.tasks.filter((task) => task.taskId === undefined || !ids.has(task.taskId)), leased: [...leased] };
}
