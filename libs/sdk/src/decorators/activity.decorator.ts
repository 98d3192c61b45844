import { SetMetadata } from '@nestjs/common';
import type { Duration } from '#workflows/protocol';
import { ACTIVITY_METADATA } from '../workflows.constants.js';

/** How an activity is retried. Every field is optional; the defaults are Temporal's. */
export interface RetryPolicy {
  /** Wait before the first retry. @default '1s' */
  initialInterval?: Duration;
  /** Each wait is the previous one times this. @default 2 */
  backoffCoefficient?: number;
  /** Longest wait between attempts. @default 100 × initialInterval */
  maximumInterval?: Duration;
  /** Attempts in all, the first included; 0 means unlimited. @default 0 */
  maximumAttempts?: number;
  /** Error types (`error.name`, or `ApplicationFailure`'s `type`) that are never retried. @default [] */
  nonRetryableErrorTypes?: string[];
}

/** Options of {@link Activity}, also accepted per call by `withOptions`. */
export interface ActivityOptions {
  /** The name the activity is scheduled by. @default the method name */
  name?: string;
  /** Longest one attempt may run. @default '5m' */
  startToCloseTimeout?: Duration;
  /** Longest the task may wait for a worker to start it; unset means no limit. Not retried when it expires. */
  scheduleToStartTimeout?: Duration;
  /** Longest the activity may take in all, every attempt and backoff included; unset means no limit. */
  scheduleToCloseTimeout?: Duration;
  /**
   * Longest a running attempt may go without `ActivityContext.heartbeat()`; unset means
   * heartbeats are not required. Set it for long activities so a dead worker is noticed early.
   */
  heartbeatTimeout?: Duration;
  retry?: RetryPolicy;
  /**
   * Runs the activity as a **local activity**: on the worker that runs the workflow task, inside
   * that task, with its result recorded with the task's completion (one commit instead of three,
   * no queue, no poll). For short calls (milliseconds to a few seconds). Retries follow `retry`
   * and each attempt `startToCloseTimeout`, both on this worker; `scheduleToCloseTimeout` bounds
   * the whole. A local activity that cannot finish within the workflow task's budget (half the
   * platform's workflow task timeout: 5 s by default), because an attempt still runs or the next
   * retry would start after it, continues as an ordinary activity with the attempts left; so
   * does one whose result (or failure) does not fit in the task's completion (a task's local
   * outcomes together are kept within 512 KiB, a quarter of the largest request).
   * `scheduleToStartTimeout` and `heartbeatTimeout` apply only to that ordinary activity.
   * @default false
   */
  local?: boolean;
}

/**
 * Marks a method of an injectable provider as an activity: real work (I/O) that a workflow
 * schedules and whose result is recorded once.
 */
export function Activity(options: ActivityOptions = {}): MethodDecorator {
  return SetMetadata(ACTIVITY_METADATA, options);
}
