import type { Failure } from '../failures/failure.js';
import type { JsonValue } from '../history/history-event.js';

/** The kinds of command a workflow task answers with. */
export const CommandType = {
  ScheduleActivity: 'SCHEDULE_ACTIVITY',
  CompleteWorkflow: 'COMPLETE_WORKFLOW',
  FailWorkflow: 'FAIL_WORKFLOW',
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

/** Any command a workflow task may answer with. */
export type Command = ScheduleActivityCommand | CompleteWorkflowCommand | FailWorkflowCommand;
