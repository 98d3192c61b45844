import { PlatformFailureType, TimeoutType, type Failure } from '#workflows/protocol';

/** An activity's timeouts as scheduled (wire names; 0 means none). */
export interface ActivityTimeoutSettings {
  start_to_close_timeout_ms: number;
  schedule_to_start_timeout_ms?: number;
  schedule_to_close_timeout_ms?: number;
  heartbeat_timeout_ms?: number;
}

/** Where an activity task stands, in platform time (epoch ms); `null` for what has not happened. */
export interface ActivityTaskTimes {
  state: 'queued' | 'leased';
  /** When `ACTIVITY_TASK_SCHEDULED` was recorded (`null` for tasks older than the timeouts). */
  scheduledAt: number | null;
  /** When the current attempt became (or becomes) available to workers. */
  visibleAt: number;
  /** When the current attempt was leased. */
  leasedAt: number | null;
  /** When the current attempt was last heard from: its lease or its last heartbeat. */
  heartbeatAt: number | null;
}

/** The earliest timeout of an activity task: when, which, and its configured length. */
export interface ActivityDeadline {
  at: number;
  timeoutType: TimeoutType;
  timeoutMs: number;
}

/** When the activity as a whole runs out of time, or `null` without a schedule-to-close timeout. */
export function scheduleToCloseDeadline(settings: ActivityTimeoutSettings, scheduledAt: number | null): number | null {
  const ms = settings.schedule_to_close_timeout_ms ?? 0;
  return ms > 0 && scheduledAt !== null ? scheduledAt + ms : null;
}

/**
 * The next timeout of an activity task, or `null` when none applies. A queued attempt can miss
 * its schedule-to-start (counted from when the attempt became visible) and the activity's
 * schedule-to-close; a leased one its start-to-close, its heartbeat timeout and the
 * schedule-to-close. On a tie, schedule-to-close wins: it ends the activity rather than the
 * attempt. Pure, so that every store engine keeps the same deadlines.
 */
export function nextActivityDeadline(settings: ActivityTimeoutSettings, times: ActivityTaskTimes): ActivityDeadline | null {
  const candidates: ActivityDeadline[] = [];
  const add = (timeoutType: TimeoutType, from: number | null, ms: number | undefined) => {
    if (from !== null && ms !== undefined && ms > 0) candidates.push({ at: from + ms, timeoutType, timeoutMs: ms });
  };
  add(TimeoutType.ScheduleToClose, times.scheduledAt, settings.schedule_to_close_timeout_ms);
  if (times.state === 'queued') {
    add(TimeoutType.ScheduleToStart, times.visibleAt, settings.schedule_to_start_timeout_ms);
  } else {
    add(TimeoutType.StartToClose, times.leasedAt, settings.start_to_close_timeout_ms);
    add(TimeoutType.Heartbeat, times.heartbeatAt ?? times.leasedAt, settings.heartbeat_timeout_ms);
  }
  let earliest: ActivityDeadline | null = null;
  for (const candidate of candidates) if (!earliest || candidate.at < earliest.at) earliest = candidate;
  return earliest;
}

/** The failure a workflow task is recorded with when it was not completed in time. */
export function workflowTaskTimeoutFailure(timeoutMs: number): Failure {
  return {
    type: PlatformFailureType.WorkflowTaskTimeout,
    message: `workflow task not completed within ${timeoutMs} ms`,
  };
}

/** The failure a task's attempt is recorded with when its worker's session expired. */
export function sessionExpiredFailure(workerName: string): Failure {
  return {
    type: PlatformFailureType.WorkerSessionExpired,
    message: `worker ${workerName} stopped heartbeating while it held this task`,
  };
}

/** The failure a task's attempt is recorded with when its worker shut down before finishing it. */
export function workerShutdownFailure(workerName: string): Failure {
  return {
    type: PlatformFailureType.WorkerShutdown,
    message: `worker ${workerName} shut down while it held this task`,
  };
}
