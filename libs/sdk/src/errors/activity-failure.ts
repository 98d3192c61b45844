import type { Failure } from '#workflows/protocol';

/**
 * What a workflow sees when an activity failed for good (retries exhausted or non-retryable).
 * `cause` is the activity's own error, rebuilt from the recorded failure.
 */
export class ActivityFailure extends Error {
  constructor(
    readonly activityName: string,
    readonly activityId: number,
    readonly failure: Failure,
    cause: Error,
  ) {
    super(`Activity ${activityName} (#${activityId}) failed: ${failure.message}`, { cause });
    this.name = 'ActivityFailure';
  }
}
