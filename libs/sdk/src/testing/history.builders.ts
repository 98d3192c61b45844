import { EventType, type HistoryEvent, type NewEvent, type RetryPolicyWire } from '#workflows/protocol';

/*
 * Builders of recorded histories for the SDK's specs: the events a platform would have
 * appended, numbered from 1. Test code only (not part of the build).
 */

/** The retry policy the built `ACTIVITY_TASK_SCHEDULED` events carry. */
export const RETRY: RetryPolicyWire = {
  initial_interval_ms: 1000,
  backoff_coefficient: 2,
  maximum_interval_ms: 100000,
  maximum_attempts: 0,
  non_retryable_error_types: [],
};

/** An event and, optionally, its timestamp (ISO 8601); the default is 2026-01-01T00:00:00.000Z. */
export type BuiltEvent = NewEvent & { at?: string };

/** The events numbered from 1, as history records them. */
export function history(...events: BuiltEvent[]): HistoryEvent[] {
  return events.map(({ at, ...event }, index) => ({ ...event, event_id: index + 1, event_timestamp: at ?? '2026-01-01T00:00:00.000Z' }) as HistoryEvent);
}

export const started = (input: unknown, workflowName = 'wf', runId = 'r1'): NewEvent => ({
  event_type: EventType.WorkflowExecutionStarted,
  attributes: { workflow_name: workflowName, deployment_name: null, input: input as never, run_id: runId },
});

export const taskCompleted = (lastSeen: number, workerName = 'w'): NewEvent => ({
  event_type: EventType.WorkflowTaskCompleted,
  attributes: { last_seen_event_id: lastSeen, worker_name: workerName, attempt: 1 },
});

export const scheduled = (activityId: number, activityName: string, input: unknown[] = []): NewEvent => ({
  event_type: EventType.ActivityTaskScheduled,
  attributes: {
    activity_id: activityId,
    activity_name: activityName,
    input: input as never,
    start_to_close_timeout_ms: 300000,
    schedule_to_start_timeout_ms: 0,
    schedule_to_close_timeout_ms: 0,
    heartbeat_timeout_ms: 0,
    retry: RETRY,
  },
});

export const completed = (scheduledEventId: number, activityId: number, result: unknown): NewEvent => ({
  event_type: EventType.ActivityTaskCompleted,
  attributes: { scheduled_event_id: scheduledEventId, activity_id: activityId, attempt: 1, result: result as never },
});

export const timerStarted = (timerId: number, durationMs: number): NewEvent => ({
  event_type: EventType.TimerStarted,
  attributes: { timer_id: timerId, duration_ms: durationMs, fire_at: '2026-01-01T01:00:00.000Z' },
});

export const timerFired = (timerId: number, startedEventId: number): NewEvent => ({
  event_type: EventType.TimerFired,
  attributes: { timer_id: timerId, started_event_id: startedEventId },
});

export const timerCanceled = (timerId: number, startedEventId: number): NewEvent => ({
  event_type: EventType.TimerCanceled,
  attributes: { timer_id: timerId, started_event_id: startedEventId },
});

export const signaled = (signalName: string, input: unknown): NewEvent => ({
  event_type: EventType.WorkflowExecutionSignaled,
  attributes: { signal_name: signalName, input: input as never },
});

export const marker = (markerName: string, details: unknown): NewEvent => ({
  event_type: EventType.MarkerRecorded,
  attributes: { marker_name: markerName, details: details as never },
});

export const childInitiated = (childId: number, workflowName: string, executionId: string, input: unknown = null): NewEvent => ({
  event_type: EventType.StartChildWorkflowExecutionInitiated,
  attributes: { child_id: childId, workflow_name: workflowName, execution_id: executionId, input: input as never, parent_close_policy: 'TERMINATE', deployment_name: null },
});

export const childStarted = (childId: number, initiatedEventId: number, executionId: string, runId = `${executionId}-run`): NewEvent => ({
  event_type: EventType.ChildWorkflowExecutionStarted,
  attributes: { child_id: childId, initiated_event_id: initiatedEventId, execution_id: executionId, run_id: runId },
});

export const childCompleted = (childId: number, initiatedEventId: number, executionId: string, result: unknown): NewEvent => ({
  event_type: EventType.ChildWorkflowExecutionCompleted,
  attributes: { child_id: childId, initiated_event_id: initiatedEventId, execution_id: executionId, run_id: `${executionId}-run`, result: result as never },
});
