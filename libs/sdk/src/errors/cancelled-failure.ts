import { CANCELLED_FAILURE_TYPE } from '#workflows/protocol';

/**
 * Thrown into workflow code when its execution is cancelled: every sleep, condition and activity
 * it was awaiting rejects with it. Catch it to clean up (new activities and timers work as usual
 * after the cancellation); let it escape `@Run()` and the execution ends as `CANCELED`.
 */
export class CancelledFailure extends Error {
  constructor(
    message: string,
    /** The reason given with the cancellation request, if any. */
    readonly reason: string | null = null,
  ) {
    super(message);
    this.name = CANCELLED_FAILURE_TYPE;
  }
}
