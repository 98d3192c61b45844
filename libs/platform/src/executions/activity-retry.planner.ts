import type { Failure, RetryPolicyWire } from '#workflows/protocol';

/** What to do after an activity attempt failed. */
export type ActivityFailurePlan =
  | { retry: true; delayMs: number }
  | { retry: false; reason: 'non_retryable' | 'non_retryable_type' | 'attempts_exhausted' };

/** The backoff before the attempt after `attempt`: `initial * coefficient^(attempt-1)`, capped. */
export function retryDelayMs(policy: RetryPolicyWire, attempt: number): number {
  const delay = policy.initial_interval_ms * Math.pow(policy.backoff_coefficient, Math.max(0, attempt - 1));
  const capped = policy.maximum_interval_ms > 0 ? Math.min(delay, policy.maximum_interval_ms) : delay;
  return Math.max(0, Math.round(Number.isFinite(capped) ? capped : policy.maximum_interval_ms));
}

/**
 * Decides, by the retry policy recorded when the activity was scheduled, whether the failed
 * `attempt` is retried (and after how long) or the activity fails. `maximum_attempts` 0 means
 * unlimited. Pure, so that every store engine decides the same way.
 */
export function planActivityFailure(policy: RetryPolicyWire, attempt: number, failure: Failure): ActivityFailurePlan {
  if (failure.non_retryable === true) return { retry: false, reason: 'non_retryable' };
  if (policy.non_retryable_error_types.includes(failure.type)) return { retry: false, reason: 'non_retryable_type' };
  if (policy.maximum_attempts > 0 && attempt >= policy.maximum_attempts) return { retry: false, reason: 'attempts_exhausted' };
  return { retry: true, delayMs: retryDelayMs(policy, attempt) };
}
