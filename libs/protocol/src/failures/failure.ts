import type { JsonValue } from '../history/history-event.js';

/**
 * A failure as it travels and is recorded: structured, never a stringified blob.
 * `type` is the error's class name (or `ApplicationFailure`'s type); `cause` keeps the chain.
 */
export interface Failure {
  type: string;
  message: string;
  stack?: string;
  non_retryable?: boolean;
  details?: JsonValue;
  cause?: Failure;
}

/** Failure types the platform records when it ends an attempt itself. */
export const PlatformFailureType = {
  /** An activity attempt or the activity as a whole ran out of time; `details.timeout_type` says which timeout. */
  ActivityTimeout: 'ActivityTimeout',
  /** A workflow task was not completed within the workflow task timeout. */
  WorkflowTaskTimeout: 'WorkflowTaskTimeout',
  /** The worker holding the task stopped heartbeating. */
  WorkerSessionExpired: 'WorkerSessionExpired',
  /** The worker holding the task shut down before finishing it. */
  WorkerShutdown: 'WorkerShutdown',
  /** A workflow task tried to close the run without having seen a signal, update or cancellation that arrived meanwhile. */
  UnhandledExternalEvent: 'UnhandledExternalEvent',
  /** The run's history reached the platform's hard limit (`WORKFLOWS_HISTORY_MAX_EVENTS`): it was ended; long-lived workflows continue as new. */
  HistoryLimitExceeded: 'HistoryLimitExceeded',
  /** A child workflow could not start: no worker in the namespace registered its workflow (or not in the deployment asked for). */
  WorkflowNotFound: 'WorkflowNotFound',
  /** A child workflow could not start: its input does not match the workflow's registered schema. */
  InvalidInput: 'InvalidInput',
  /** A child workflow could not start: its execution id is taken by another execution of the namespace. */
  WorkflowExecutionAlreadyStarted: 'WorkflowExecutionAlreadyStarted',
} as const;

/** The failure type of a cancellation, as workflows and activities see it. */
export const CANCELLED_FAILURE_TYPE = 'CancelledFailure';

/** Which activity timeout expired. */
export const TimeoutType = {
  StartToClose: 'START_TO_CLOSE',
  ScheduleToStart: 'SCHEDULE_TO_START',
  ScheduleToClose: 'SCHEDULE_TO_CLOSE',
  Heartbeat: 'HEARTBEAT',
} as const;
/** One of {@link TimeoutType}'s values. */
export type TimeoutType = (typeof TimeoutType)[keyof typeof TimeoutType];
