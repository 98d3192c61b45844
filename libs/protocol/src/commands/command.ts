import type { Failure } from '../failures/failure.js';
import type { JsonValue } from '../history/history-event.js';

/** The kinds of command a workflow task answers with. */
export const CommandType = {
  ScheduleActivity: 'SCHEDULE_ACTIVITY',
  CompleteWorkflow: 'COMPLETE_WORKFLOW',
  FailWorkflow: 'FAIL_WORKFLOW',
  CancelWorkflow: 'CANCEL_WORKFLOW',
  StartTimer: 'START_TIMER',
  CancelTimer: 'CANCEL_TIMER',
  RequestCancelActivity: 'REQUEST_CANCEL_ACTIVITY',
  CompleteUpdate: 'COMPLETE_UPDATE',
  ContinueAsNew: 'CONTINUE_AS_NEW',
  RecordMarker: 'RECORD_MARKER',
  StartChildWorkflow: 'START_CHILD_WORKFLOW',
  RequestCancelChildWorkflow: 'REQUEST_CANCEL_CHILD_WORKFLOW',
} as const;
/** One of {@link CommandType}'s values. */
export type CommandType = (typeof CommandType)[keyof typeof CommandType];

/** A retry policy as it travels and is recorded; every field resolved. */
export interface RetryPolicyWire {
  initial_interval_ms: number;
  backoff_coefficient: number;
  maximum_interval_ms: number;
  /** 0 means unlimited. */
  maximum_attempts: number;
  non_retryable_error_types: string[];
}

/** Schedules one activity; `activity_id` is the workflow's own sequence number for it. */
export interface ScheduleActivityCommand {
  type: typeof CommandType.ScheduleActivity;
  activity_id: number;
  activity_name: string;
  input: JsonValue[];
  start_to_close_timeout_ms: number;
  /** Longest the task may wait in the queue before a worker starts it; 0 means no limit. */
  schedule_to_start_timeout_ms: number;
  /** Longest the activity may take in all, every attempt and wait included; 0 means no limit. */
  schedule_to_close_timeout_ms: number;
  /** Longest a running attempt may go without a heartbeat; 0 means heartbeats are not required. */
  heartbeat_timeout_ms: number;
  retry: RetryPolicyWire;
}

/** Closes the run successfully with a result. */
export interface CompleteWorkflowCommand {
  type: typeof CommandType.CompleteWorkflow;
  result: JsonValue | null;
}

/** Closes the run as failed. */
export interface FailWorkflowCommand {
  type: typeof CommandType.FailWorkflow;
  failure: Failure;
}

/** Closes the run as cancelled: the workflow let a cancellation request end it. */
export interface CancelWorkflowCommand {
  type: typeof CommandType.CancelWorkflow;
  reason: string | null;
}

/** Starts a durable timer; `timer_id` is the workflow's own sequence number for it. */
export interface StartTimerCommand {
  type: typeof CommandType.StartTimer;
  timer_id: number;
  /** At least 1. */
  duration_ms: number;
}

/** Cancels a timer the run started. Recorded even when the timer fired meanwhile, so that replay matches. */
export interface CancelTimerCommand {
  type: typeof CommandType.CancelTimer;
  timer_id: number;
}

/**
 * Asks a scheduled activity to stop: not started yet, it is cancelled at once
 * (`ACTIVITY_TASK_CANCELED`); running, its next heartbeat answers `cancel_requested`.
 */
export interface RequestCancelActivityCommand {
  type: typeof CommandType.RequestCancelActivity;
  activity_id: number;
}

/** An update handler finished: its result, or its failure. */
export interface CompleteUpdateCommand {
  type: typeof CommandType.CompleteUpdate;
  update_id: string;
  result: JsonValue | null;
  failure: Failure | null;
}

/** Closes the run and starts a new run of the same execution with `input` (and, if given, another workflow). */
export interface ContinueAsNewCommand {
  type: typeof CommandType.ContinueAsNew;
  input: JsonValue | null;
  /** @default the same workflow */
  workflow_name?: string;
}

/** Records a marker (a side effect's value, a patch taken): `MARKER_RECORDED`. */
export interface RecordMarkerCommand {
  type: typeof CommandType.RecordMarker;
  marker_name: string;
  details: JsonValue;
}

/** What happens to a running child workflow when its parent's run closes (completes, fails, is cancelled, terminated or continues as new). */
export const ParentClosePolicy = {
  /** The child is terminated (the default). */
  Terminate: 'TERMINATE',
  /** The child is asked to cancel (`WORKFLOW_EXECUTION_CANCEL_REQUESTED`) and may clean up. */
  RequestCancel: 'REQUEST_CANCEL',
  /** The child runs on, on its own. */
  Abandon: 'ABANDON',
} as const;
/** One of {@link ParentClosePolicy}'s values. */
export type ParentClosePolicy = (typeof ParentClosePolicy)[keyof typeof ParentClosePolicy];

/**
 * Starts a child workflow in the same namespace: `child_id` is the workflow's own sequence number
 * for it, `execution_id` the child's execution id. The child is started in the same transaction
 * (`CHILD_WORKFLOW_EXECUTION_STARTED`), or its start fails (`START_CHILD_WORKFLOW_EXECUTION_FAILED`:
 * the workflow is not registered, the input does not match its schema, the execution id is taken).
 */
export interface StartChildWorkflowCommand {
  type: typeof CommandType.StartChildWorkflow;
  child_id: number;
  workflow_name: string;
  execution_id: string;
  input: JsonValue | null;
  /** @default TERMINATE */
  parent_close_policy?: ParentClosePolicy;
  /** Pins the child to one deployment. @default any deployment that registered the workflow */
  deployment_name?: string | null;
}

/** Asks a running child workflow to cancel: it gets `WORKFLOW_EXECUTION_CANCEL_REQUESTED`; the parent learns its end as usual. */
export interface RequestCancelChildWorkflowCommand {
  type: typeof CommandType.RequestCancelChildWorkflow;
  child_id: number;
}

/** Any command a workflow task may answer with. */
export type Command =
  | ScheduleActivityCommand
  | CompleteWorkflowCommand
  | FailWorkflowCommand
  | CancelWorkflowCommand
  | StartTimerCommand
  | CancelTimerCommand
  | RequestCancelActivityCommand
  | CompleteUpdateCommand
  | ContinueAsNewCommand
  | RecordMarkerCommand
  | StartChildWorkflowCommand
  | RequestCancelChildWorkflowCommand;
