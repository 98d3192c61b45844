import type { Failure, JsonValue, RetryPolicyWire, ScheduleActivityCommand } from '#workflows/protocol';

/** The marker a local activity's outcome is recorded with, in the completion of the workflow task that ran it. */
export const LOCAL_ACTIVITY_MARKER = 'local_activity';

/** A local activity the workflow called: what an ordinary activity would be scheduled with (its fallback). */
export type LocalActivityCall = Omit<ScheduleActivityCommand, 'type'>;

/**
 * How a local activity ended on the worker: a result, a failure for good (after its retries), or
 * the fallback to an ordinary activity with `retry` (the attempts left) when it could not finish
 * within the workflow task's budget.
 */
export type LocalActivityOutcome =
  | { activity_id: number; attempts: number; result: JsonValue }
  | { activity_id: number; attempts: number; failure: Failure }
  | { activity_id: number; attempts: number; fallback: { retry: RetryPolicyWire } };

/** A local activity's outcome as `MARKER_RECORDED` holds it. */
export interface LocalActivityMarkerDetails {
  activity_id: number;
  activity_name: string;
  attempts: number;
  result?: JsonValue;
  failure?: Failure;
}
