import type { Failure } from '../failures/failure.js';
import type { ParentClosePolicy, RetryPolicyWire } from '../commands/command.js';
import { EventType } from './event-type.js';

/** Any JSON value: what inputs, results and details are made of. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Attributes of each event type, as recorded and as sent over the wire (snake_case). */
export interface EventAttributes {
  [EventType.WorkflowExecutionStarted]: {
    workflow_name: string;
    deployment_name: string | null;
    input: JsonValue | null;
    run_id: string;
    /** Addition (issue 6): the run this one continues (`WORKFLOW_EXECUTION_CONTINUED_AS_NEW`), when it does. */
    continued_from_run_id?: string;
    /** Addition (issue 6): set on a child workflow's runs: the execution and run that started it. */
    parent_execution_id?: string;
    parent_run_id?: string;
    /** Addition (issue 6): the top of the tree of executions this one belongs to (its own id when it has no parent). */
    root_execution_id?: string;
  };
  [EventType.WorkflowExecutionCompleted]: { result: JsonValue | null };
  [EventType.WorkflowExecutionFailed]: { failure: Failure };
  /** `last_seen_event_id`: the last event the completed task had been given; later events belong to the next task. */
  /**
   * `continue_as_new_suggested` (addition, issue 6): present and true when the task had been told to
   * continue as new, so that a replay shows the workflow the same `ctx.info` as the task saw.
   */
  [EventType.WorkflowTaskCompleted]: { last_seen_event_id: number; worker_name: string; attempt: number; continue_as_new_suggested?: boolean };
  [EventType.WorkflowTaskFailed]: { last_seen_event_id: number; worker_name: string; attempt: number; failure: Failure };
  [EventType.ActivityTaskScheduled]: {
    activity_id: number;
    activity_name: string;
    input: JsonValue[];
    start_to_close_timeout_ms: number;
    schedule_to_start_timeout_ms: number;
    schedule_to_close_timeout_ms: number;
    heartbeat_timeout_ms: number;
    retry: RetryPolicyWire;
  };
  [EventType.ActivityTaskStarted]: { scheduled_event_id: number; activity_id: number; attempt: number; worker_name: string };
  [EventType.ActivityTaskCompleted]: { scheduled_event_id: number; activity_id: number; attempt: number; result: JsonValue | null };
  [EventType.ActivityTaskRetrying]: {
    scheduled_event_id: number;
    activity_id: number;
    attempt: number;
    failure: Failure;
    next_attempt_delay_ms: number;
  };
  [EventType.ActivityTaskFailed]: { scheduled_event_id: number; activity_id: number; attempt: number; failure: Failure };
  /** The workflow asked for the activity to stop (REQUEST_CANCEL_ACTIVITY); a running attempt learns it from its heartbeat. */
  [EventType.ActivityTaskCancelRequested]: { scheduled_event_id: number; activity_id: number };
  /** The activity stopped because it was cancelled: not started yet, or its attempt ended after the request. */
  [EventType.ActivityTaskCanceled]: { scheduled_event_id: number; activity_id: number; attempt: number; failure: Failure | null };
  /** A durable timer; `fire_at` is ISO 8601 platform time. */
  [EventType.TimerStarted]: { timer_id: number; duration_ms: number; fire_at: string };
  [EventType.TimerFired]: { timer_id: number; started_event_id: number };
  [EventType.TimerCanceled]: { timer_id: number; started_event_id: number };
  [EventType.WorkflowExecutionSignaled]: { signal_name: string; input: JsonValue | null };
  [EventType.WorkflowExecutionCancelRequested]: { reason: string | null };
  /** The workflow ended because it was cancelled (its code let the cancellation propagate). */
  [EventType.WorkflowExecutionCanceled]: { reason: string | null };
  /** The platform ended the run at once; no workflow code ran. */
  [EventType.WorkflowExecutionTerminated]: { reason: string | null };
  [EventType.WorkflowExecutionUpdateAccepted]: { update_id: string; update_name: string; input: JsonValue | null };
  /** An update handler's outcome: `result`, or `failure` when it threw. */
  [EventType.WorkflowExecutionUpdateCompleted]: {
    update_id: string;
    accepted_event_id: number;
    result: JsonValue | null;
    failure: Failure | null;
  };
  /**
   * The run ended by starting a new run of the same execution (same execution id) with `input`;
   * `new_run_id` names it. The old run's history stays readable by its run id.
   */
  [EventType.WorkflowExecutionContinuedAsNew]: { new_run_id: string; workflow_name: string; input: JsonValue | null };
  /**
   * Something the workflow recorded so that replay gives the same answer: a side effect's value
   * (`side_effect`, details `{seq, value}`) or a patch taken (`patch`, details `{patch_id, deprecated}`).
   */
  [EventType.MarkerRecorded]: { marker_name: string; details: JsonValue };
  /** The workflow asked to start a child workflow (`START_CHILD_WORKFLOW`); `child_id` is its own sequence number for it. */
  [EventType.StartChildWorkflowExecutionInitiated]: {
    child_id: number;
    workflow_name: string;
    execution_id: string;
    input: JsonValue | null;
    parent_close_policy: ParentClosePolicy;
    deployment_name: string | null;
  };
  /** The child could not be started: `failure.type` is `WorkflowNotFound`, `InvalidInput` or `WorkflowExecutionAlreadyStarted`. */
  [EventType.StartChildWorkflowExecutionFailed]: ChildEventIds & { failure: Failure };
  /** The child runs: `run_id` is its first run. */
  [EventType.ChildWorkflowExecutionStarted]: ChildEventIds & { run_id: string };
  /** The child ended (its last run, after any continue-as-new). */
  [EventType.ChildWorkflowExecutionCompleted]: ChildEventIds & { run_id: string; result: JsonValue | null };
  [EventType.ChildWorkflowExecutionFailed]: ChildEventIds & { run_id: string; failure: Failure };
  [EventType.ChildWorkflowExecutionCanceled]: ChildEventIds & { run_id: string; reason: string | null };
  [EventType.ChildWorkflowExecutionTerminated]: ChildEventIds & { run_id: string; reason: string | null };
  /** The workflow asked its child to cancel (`REQUEST_CANCEL_CHILD_WORKFLOW`): the child got `WORKFLOW_EXECUTION_CANCEL_REQUESTED`. */
  [EventType.ChildWorkflowExecutionCancelRequested]: ChildEventIds;
}

/** What ties a child workflow's events in the parent's history together. */
export interface ChildEventIds {
  child_id: number;
  /** The parent's `START_CHILD_WORKFLOW_EXECUTION_INITIATED` event. */
  initiated_event_id: number;
  execution_id: string;
}

/** One event of one run's history, numbered from 1. */
export type HistoryEvent<T extends EventType = EventType> = {
  [K in T]: {
    event_id: number;
    event_type: K;
    /** ISO 8601, platform time. */
    event_timestamp: string;
    attributes: EventAttributes[K];
  };
}[T];

/** An event before the store numbers and timestamps it. */
export type NewEvent<T extends EventType = EventType> = {
  [K in T]: { event_type: K; attributes: EventAttributes[K] };
}[T];

/** Events that wake a workflow: each resolves something the workflow code waits on. */
export const RESOLUTION_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  EventType.ActivityTaskCompleted,
  EventType.ActivityTaskFailed,
  EventType.ActivityTaskCanceled,
  EventType.TimerFired,
  EventType.WorkflowExecutionSignaled,
  EventType.WorkflowExecutionCancelRequested,
  EventType.WorkflowExecutionUpdateAccepted,
  EventType.StartChildWorkflowExecutionFailed,
  EventType.ChildWorkflowExecutionStarted,
  EventType.ChildWorkflowExecutionCompleted,
  EventType.ChildWorkflowExecutionFailed,
  EventType.ChildWorkflowExecutionCanceled,
  EventType.ChildWorkflowExecutionTerminated,
]);

/** The events that end a child workflow, as its parent records them. */
export const CHILD_CLOSED_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  EventType.ChildWorkflowExecutionCompleted,
  EventType.ChildWorkflowExecutionFailed,
  EventType.ChildWorkflowExecutionCanceled,
  EventType.ChildWorkflowExecutionTerminated,
]);

/**
 * Resolution events sent from outside the workflow (signals, updates, cancellation): a task that
 * closes the run without having seen one is not allowed to, so that none is lost.
 */
export const EXTERNAL_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  EventType.WorkflowExecutionSignaled,
  EventType.WorkflowExecutionCancelRequested,
  EventType.WorkflowExecutionUpdateAccepted,
]);

/** Events a workflow task's commands produce; replay compares them with the commands the code issues again. */
export const COMMAND_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  EventType.ActivityTaskScheduled,
  EventType.ActivityTaskCancelRequested,
  EventType.TimerStarted,
  EventType.TimerCanceled,
  EventType.WorkflowExecutionUpdateCompleted,
  EventType.WorkflowExecutionCompleted,
  EventType.WorkflowExecutionFailed,
  EventType.WorkflowExecutionCanceled,
  EventType.WorkflowExecutionContinuedAsNew,
  EventType.MarkerRecorded,
  EventType.StartChildWorkflowExecutionInitiated,
  EventType.ChildWorkflowExecutionCancelRequested,
]);

/** Events after which a run is closed and accepts no further event. */
export const TERMINAL_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  EventType.WorkflowExecutionCompleted,
  EventType.WorkflowExecutionFailed,
  EventType.WorkflowExecutionCanceled,
  EventType.WorkflowExecutionTerminated,
  EventType.WorkflowExecutionContinuedAsNew,
]);
