import { describe, expect, it } from '@jest/globals';
import { TimeoutType, activityTimeoutFailure, planActivityFailure, retryDelayMs, type RetryPolicyWire } from '#workflows/protocol';
import { nextActivityDeadline } from './activity-timeout.planner.js';

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

  it('retries at once without backoff, and never past the schedule-to-close deadline', () => {
    expect(planActivityFailure(policy, 2, failure, { now: 100, closeDeadline: null, noBackoff: true })).toEqual({ retry: true, delayMs: 0 });
    expect(planActivityFailure(policy, 2, failure, { now: 100, closeDeadline: 2101 })).toEqual({ retry: true, delayMs: 2000 });
    expect(planActivityFailure(policy, 2, failure, { now: 100, closeDeadline: 2100 })).toEqual({ retry: false, reason: 'schedule_to_close' });
  });
});

describe('activity deadlines', () => {
  const settings = { start_to_close_timeout_ms: 1000, schedule_to_start_timeout_ms: 300, schedule_to_close_timeout_ms: 5000, heartbeat_timeout_ms: 200 };

  it('are schedule-to-start or schedule-to-close while queued, the earliest winning', () => {
    const queued = { state: 'queued' as const, scheduledAt: 0, visibleAt: 4800, leasedAt: null, heartbeatAt: null };
    expect(nextActivityDeadline(settings, queued)).toEqual({ at: 5000, timeoutType: TimeoutType.ScheduleToClose, timeoutMs: 5000 });
    expect(nextActivityDeadline(settings, { ...queued, visibleAt: 100 })).toEqual({ at: 400, timeoutType: TimeoutType.ScheduleToStart, timeoutMs: 300 });
  });

  it('are start-to-close, heartbeat or schedule-to-close while leased; none without timeouts', () => {
    const leased = { state: 'leased' as const, scheduledAt: 0, visibleAt: 0, leasedAt: 100, heartbeatAt: 100 };
    expect(nextActivityDeadline(settings, leased)).toMatchObject({ at: 300, timeoutType: TimeoutType.Heartbeat });
    expect(nextActivityDeadline({ ...settings, heartbeat_timeout_ms: 0 }, leased)).toMatchObject({ at: 1100, timeoutType: TimeoutType.StartToClose });
    expect(nextActivityDeadline({ start_to_close_timeout_ms: 0 }, leased)).toBeNull();
    expect(activityTimeoutFailure('charge', 3, { timeoutType: TimeoutType.Heartbeat, timeoutMs: 200 })).toEqual({
      type: 'ActivityTimeout',
      message: 'activity charge attempt 3 timed out (HEARTBEAT after 200 ms)',
      non_retryable: false,
      details: { timeout_type: 'HEARTBEAT' },
    });
  });
});
