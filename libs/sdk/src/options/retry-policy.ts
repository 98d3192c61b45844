import { toMilliseconds, type RetryPolicyWire } from '#workflows/protocol';
import type { ActivityOptions, RetryPolicy } from '../decorators/activity.decorator.js';

/** Default longest attempt of an activity. */
export const DEFAULT_START_TO_CLOSE_TIMEOUT_MS = 5 * 60_000;

/** Resolves a retry policy to its wire form, applying defaults; throws naming a bad field. */
export function resolveRetryPolicy(policy: RetryPolicy = {}, where = 'retry'): RetryPolicyWire {
  const initial = toMilliseconds(policy.initialInterval ?? '1s', `${where}.initialInterval`);
  const coefficient = policy.backoffCoefficient ?? 2;
  if (!Number.isFinite(coefficient) || coefficient < 1) {
    throw new RangeError(`${where}.backoffCoefficient must be a number >= 1, got ${coefficient}`);
  }
  const maximumAttempts = policy.maximumAttempts ?? 0;
  if (!Number.isInteger(maximumAttempts) || maximumAttempts < 0) {
    throw new RangeError(`${where}.maximumAttempts must be a whole number >= 0, got ${maximumAttempts}`);
  }
  return {
    initial_interval_ms: initial,
    backoff_coefficient: coefficient,
    maximum_interval_ms: toMilliseconds(policy.maximumInterval ?? initial * 100, `${where}.maximumInterval`),
    maximum_attempts: maximumAttempts,
    non_retryable_error_types: [...(policy.nonRetryableErrorTypes ?? [])],
  };
}

/** The options a scheduled activity travels with: decorator options overridden by per-call ones. */
export interface ResolvedActivityOptions {
  startToCloseTimeoutMs: number;
  /** 0 when unset, as on the wire. */
  scheduleToStartTimeoutMs: number;
  scheduleToCloseTimeoutMs: number;
  heartbeatTimeoutMs: number;
  retry: RetryPolicyWire;
  /** Runs on the workflow's own worker, inside its workflow task (`local: true`). */
  local: boolean;
}

/** Merges decorator and per-call options and resolves them. */
export function resolveActivityOptions(base: ActivityOptions, override: ActivityOptions = {}): ResolvedActivityOptions {
  return {
    startToCloseTimeoutMs: toMilliseconds(
      override.startToCloseTimeout ?? base.startToCloseTimeout ?? DEFAULT_START_TO_CLOSE_TIMEOUT_MS,
      'startToCloseTimeout',
    ),
    scheduleToStartTimeoutMs: optionalMs(override.scheduleToStartTimeout ?? base.scheduleToStartTimeout, 'scheduleToStartTimeout'),
    scheduleToCloseTimeoutMs: optionalMs(override.scheduleToCloseTimeout ?? base.scheduleToCloseTimeout, 'scheduleToCloseTimeout'),
    heartbeatTimeoutMs: optionalMs(override.heartbeatTimeout ?? base.heartbeatTimeout, 'heartbeatTimeout'),
    retry: resolveRetryPolicy({ ...base.retry, ...override.retry }),
    local: localOption(override.local ?? base.local),
  };
}

function optionalMs(duration: ActivityOptions['startToCloseTimeout'], what: string): number {
  return duration === undefined ? 0 : toMilliseconds(duration, what);
}

function localOption(local: unknown): boolean {
  if (local === undefined) return false;
  if (typeof local !== 'boolean') throw new TypeError(`local must be true or false, got ${JSON.stringify(local)}`);
  return local;
}
