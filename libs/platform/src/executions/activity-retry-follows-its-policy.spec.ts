import { describe, expect, it } from '@jest/globals';
import type { RetryPolicyWire } from '#workflows/protocol';
import { planActivityFailure, retryDelayMs } from './activity-retry.planner.js';

const policy: RetryPolicyWire = {
  initial_interval_ms: 1000,
  backoff_coefficient: 2,
  maximum_interval_ms: 10_000,
  maximum_attempts: 5,
  non_retryable_error_types: ['ValidationError'],
};
const failure = { type: 'Error', message: 'boom' };

describe('activity retry planning', () => {
  it('backs off by initial * coefficient^(attempt-1), capped at maximum_interval_ms', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMs(policy, attempt))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(retryDelayMs({ ...policy, backoff_coefficient: 1 }, 4)).toBe(1000);
  });

  it('retries while attempts are left', () => {
    expect(planActivityFailure(policy, 1, failure)).toEqual({ retry: true, delayMs: 1000 });
    expect(planActivityFailure(policy, 4, failure)).toEqual({ retry: true, delayMs: 8000 });
  });

  it('stops at maximum_attempts, and never when it is 0', () => {
    expect(planActivityFailure(policy, 5, failure)).toEqual({ retry: false, reason: 'attempts_exhausted' });
    expect(planActivityFailure({ ...policy, maximum_attempts: 0 }, 500, failure)).toEqual({ retry: true, delayMs: 10_000 });
  });

  it('does not retry a non-retryable failure or a listed type', () => {
    expect(planActivityFailure(policy, 1, { ...failure, non_retryable: true })).toEqual({ retry: false, reason: 'non_retryable' });
    expect(planActivityFailure(policy, 1, { type: 'ValidationError', message: 'no' })).toEqual({ retry: false, reason: 'non_retryable_type' });
  });

  it('stays finite when the backoff overflows', () => {
    expect(retryDelayMs({ ...policy, backoff_coefficient: 1e308 }, 10)).toBe(10_000);
  });
});
