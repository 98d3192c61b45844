import type { RetryPolicyWire } from '../commands/command.js';
import { PlatformFailureType, TimeoutType, type Failure } from '../failures/failure.js';

/** What to do after an activity attempt failed. */
export type ActivityFailurePlan =
  | { retry: true; delayMs: number }
  | { retry: false; reason: 'non_retryable' | 'non_retryable_type' | 'attempts_exhausted' | 'schedule_to_close' | 'cancel_requested' };

/** What, besides the policy, bounds a retry. */
export interface ActivityRetryContext {
  /** The instant of the failure. */
  now: number;
  /** When the activity as a whole runs out of time (schedule-to-close), or `null`. */
  closeDeadline: number | null;
  /** Retry at once, without the backoff: the attempt ended through no fault of the activity. */
  noBackoff?: boolean;
}

/** The backoff before the attempt after `attempt`: `initial * coefficient^(attempt-1)`, capped. */
export function retryDelayMs(policy: RetryPolicyWire, attempt: number): number {
  const delay = policy.initial_interval_ms * Math.pow(policy.backoff_coefficient, Math.max(0, attempt - 1));
  const capped = policy.maximum_interval_ms > 0 ? Math.min(delay, policy.maximum_interval_ms) : delay;
  return Math.max(0, Math.round(Number.isFinite(capped) ? capped : policy.maximum_interval_ms));
}

/**
 * Decides, by the retry policy recorded when the activity was scheduled, whether the failed
 * `attempt` is retried (and after how long) or the activity fails. `maximum_attempts` 0 means
 * unlimited. With a context, a retry that would start at or after the schedule-to-close
 * deadline is not scheduled. Pure, so that every store engine decides the same way.
 */
export function planActivityFailure(
  policy: RetryPolicyWire,
  attempt: number,
  failure: Failure,
  context?: ActivityRetryContext,
): ActivityFailurePlan {
  if (failure.non_retryable === true) return { retry: false, reason: 'non_retryable' };
  if (policy.non_retryable_error_types.includes(failure.type)) return { retry: false, reason: 'non_retryable_type' };
  if (policy.maximum_attempts > 0 && attempt >= policy.maximum_attempts) return { retry: false, reason: 'attempts_exhausted' };
  const delayMs = context?.noBackoff ? 0 : retryDelayMs(policy, attempt);
  if (context && context.closeDeadline !== null && context.now + delayMs >= context.closeDeadline) {
    return { retry: false, reason: 'schedule_to_close' };
  }
  return { retry: true, delayMs };
}

/**
 * Whether a timeout ends the whole activity (schedule-to-start, schedule-to-close: recorded as
 * `ACTIVITY_TASK_FAILED`, non-retryable) or only the attempt (start-to-close, heartbeat: the
 * retry policy decides).
 */
export function timeoutEndsActivity(timeoutType: TimeoutType): boolean {
  return timeoutType === TimeoutType.ScheduleToStart || timeoutType === TimeoutType.ScheduleToClose;
}

/** The failure an activity timeout is recorded with. */
export function activityTimeoutFailure(activityName: string, attempt: number, deadline: { timeoutType: TimeoutType; timeoutMs: number }): Failure {
  return {
    type: PlatformFailureType.ActivityTimeout,
    message: `activity ${activityName} attempt ${attempt} timed out (${deadline.timeoutType} after ${deadline.timeoutMs} ms)`,
    non_retryable: timeoutEndsActivity(deadline.timeoutType),
    details: { timeout_type: deadline.timeoutType },
  };
}
