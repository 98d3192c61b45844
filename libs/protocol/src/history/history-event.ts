import type { Failure } from '../failures/failure.js';
import type { RetryPolicyWire } from '../commands/command.js';
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
  };
  [EventType.WorkflowExecutionCompleted]: { result: JsonValue | null };
  [EventType.WorkflowExecutionFailed]: { failure: Failure };
  /** `last_seen_event_id`: the last event the completed task had been given; later events belong to the next task. */
  [EventType.WorkflowTaskCompleted]: { last_seen_event_id: number; worker_name: string; attempt: number };
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
]);

/** Events a workflow task's commands produce; replay compares them with the commands the code issues again. */
export const COMMAND_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  EventType.ActivityTaskScheduled,
  EventType.WorkflowExecutionCompleted,
  EventType.WorkflowExecutionFailed,
]);

/** Events after which a run is closed and accepts no further event. */
export const TERMINAL_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  EventType.WorkflowExecutionCompleted,
  EventType.WorkflowExecutionFailed,
]);
