import {
  ErrorCode,
  EventType,
  ExecutionStatus,
  PlatformFailureType,
  type EventAttributes,
  type Failure,
  type JsonValue,
  type NewEvent,
} from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';
import { parentAttributes } from './child-workflow.rules.js';
import type { AcceptedUpdate, InitiatedChild, PlannedContinuation, RunCommandState, StartedTimer } from '../executions/workflow-task.planner.js';
import type { AcceptUpdateParams, ExecutionActionParams, HistoryLimits, StartExecutionParams, UpdateOutcome } from './store.interface.js';
import type { ExecutionRow } from './store.rows.js';

/*
 * The engine-neutral rules of the transitions that act on an execution from outside (signals,
 * cancellation, termination, updates) and of what a completion reads about its run: both
 * engines read rows their own way and ask these pure functions what they mean.
 */

/** The event types whose rows {@link runCommandState} reads (an update is looked up by its id). */
export const COMMAND_STATE_EVENT_TYPES: readonly string[] = [
  EventType.ActivityTaskScheduled,
  EventType.TimerStarted,
  EventType.TimerCanceled,
  EventType.StartChildWorkflowExecutionInitiated,
];

/** A history row as {@link runCommandState} reads it: `attributes` is only needed for timers and children. */
export interface CommandStateRow {
  event_id: number;
  event_type: string;
  activity_id: number | null;
  attributes: string | null;
}

/** A history row of an update (`update_id` set): its acceptance or its completion. */
export interface UpdateEventRow {
  event_id: number;
  event_type: string;
  attributes: string;
}

/** The first events of a new execution: `WORKFLOW_EXECUTION_STARTED`, and its signal for signal-with-start. */
export function startEvents(params: StartExecutionParams): NewEvent[] {
  const started: NewEvent = {
    event_type: EventType.WorkflowExecutionStarted,
    attributes: { workflow_name: params.workflowName, deployment_name: params.deploymentName, input: params.input, run_id: params.runId },
  };
  return params.signal ? [started, signaledEvent(params.signal.name, params.signal.input)] : [started];
}

/** The first event of a run of `row`'s execution that continues `previousRunId` as new: `WORKFLOW_EXECUTION_STARTED` (naming the parent of a child's runs). */
export function continuedStartEvent(previousRunId: string, row: ExecutionRow, continuation: PlannedContinuation): NewEvent {
  return {
    event_type: EventType.WorkflowExecutionStarted,
    attributes: {
      workflow_name: continuation.workflowName,
      deployment_name: row.deployment_name,
      input: continuation.input,
      run_id: continuation.runId,
      continued_from_run_id: previousRunId,
      ...parentAttributes(row),
    },
  };
}

/**
 * Whether a completion that keeps the run open must be refused for its history's size: its
 * events would take the history (now `lastEventId` long) past the hard limit.
 */
export function exceedsHistoryLimit(lastEventId: number, plannedEvents: number, limits: HistoryLimits | undefined): boolean {
  return limits !== undefined && lastEventId + plannedEvents > limits.maxEvents;
}

/** Whether the run, `lastEventId` long and warned before or not, is due its one history-size warning. */
export function historyWarningDue(lastEventId: number, warned: number | undefined, limits: HistoryLimits | undefined): boolean {
  return limits !== undefined && lastEventId >= limits.warnEvents && warned !== 1;
}

/** How the platform ends a run whose history reached the hard limit: `FAILED`, `HistoryLimitExceeded`. */
export function historyLimitClose(lastEventId: number, limits: HistoryLimits): RunClose {
  const failure: Failure = {
    type: PlatformFailureType.HistoryLimitExceeded,
    message:
      `the run's history holds ${lastEventId} events and its next workflow task would take it past the limit of ` +
      `${limits.maxEvents} (WORKFLOWS_HISTORY_MAX_EVENTS); a long-lived workflow should call ctx.continueAsNew(input) ` +
      `when ctx.info.continueAsNewSuggested is true (from ${limits.warnEvents} events), to go on in a new run with a fresh history`,
    non_retryable: true,
    details: { history_length: lastEventId, max_events: limits.maxEvents },
  };
  return { status: ExecutionStatus.Failed, result: null, failure };
}

/** `WORKFLOW_EXECUTION_FAILED` of a run's close. */
export function failedEvent(failure: Failure): NewEvent {
  return { event_type: EventType.WorkflowExecutionFailed, attributes: { failure } };
}

/** `WORKFLOW_EXECUTION_SIGNALED`. */
export function signaledEvent(signalName: string, input: JsonValue | null): NewEvent {
  return { event_type: EventType.WorkflowExecutionSignaled, attributes: { signal_name: signalName, input } };
}

/** `WORKFLOW_EXECUTION_CANCEL_REQUESTED`. */
export function cancelRequestedEvent(reason: string | null): NewEvent {
  return { event_type: EventType.WorkflowExecutionCancelRequested, attributes: { reason } };
}

/** `WORKFLOW_EXECUTION_TERMINATED`. */
export function terminatedEvent(params: ExecutionActionParams): NewEvent {
  return { event_type: EventType.WorkflowExecutionTerminated, attributes: { reason: params.reason } };
}

/** `WORKFLOW_EXECUTION_UPDATE_ACCEPTED`. */
export function updateAcceptedEvent(params: AcceptUpdateParams): NewEvent {
  return { event_type: EventType.WorkflowExecutionUpdateAccepted, attributes: { update_id: params.updateId, update_name: params.updateName, input: params.input } };
}

/** How a run closes: its final status, result and failure. */
export interface RunClose {
  status: ExecutionStatus;
  result: JsonValue | null;
  failure: Failure | null;
  /** Why it was cancelled or terminated, as recorded (a parent learns it of its child). */
  reason?: string | null;
}

/** How a termination closes the run: no result, no failure (no workflow code ran). */
export const TERMINATED_CLOSE: Readonly<RunClose> = Object.freeze({ status: ExecutionStatus.Terminated, result: null, failure: null });

/** The execution row, or `WF_EXECUTION_NOT_FOUND`. */
export function existingExecution(row: ExecutionRow | undefined, executionId: string): ExecutionRow {
  if (!row) throw new PlatformError(ErrorCode.ExecutionNotFound, `execution '${executionId}' not found`);
  return row;
}

/** Refuses to act on a closed execution: `WF_EXECUTION_CLOSED` naming its status. */
export function checkRunning(row: ExecutionRow): void {
  if (row.status !== ExecutionStatus.Running) {
    throw new PlatformError(ErrorCode.ExecutionClosed, `execution '${row.execution_id}' is ${row.status}`);
  }
}

/**
 * What a run's history says about the ids its next commands may name: scheduled activities and
 * started timers and initiated children from `rows` (of {@link COMMAND_STATE_EVENT_TYPES}),
 * accepted updates from `updateRows`.
 */
export function runCommandState(rows: readonly CommandStateRow[], updateRows: readonly UpdateEventRow[]): RunCommandState {
  const activities = new Map<number, number>();
  const timers = new Map<number, StartedTimer>();
  const children = new Map<number, InitiatedChild>();
  for (const row of rows) {
    if (row.event_type === EventType.ActivityTaskScheduled) {
      activities.set(row.activity_id!, row.event_id);
    } else if (row.event_type === EventType.TimerStarted) {
      const attributes = JSON.parse(row.attributes!) as EventAttributes[typeof EventType.TimerStarted];
      timers.set(attributes.timer_id, { startedEventId: row.event_id, canceled: false });
    } else if (row.event_type === EventType.TimerCanceled) {
      const attributes = JSON.parse(row.attributes!) as EventAttributes[typeof EventType.TimerCanceled];
      const timer = timers.get(attributes.timer_id);
      if (timer) timer.canceled = true;
    } else if (row.event_type === EventType.StartChildWorkflowExecutionInitiated) {
      const attributes = JSON.parse(row.attributes!) as EventAttributes[typeof EventType.StartChildWorkflowExecutionInitiated];
      children.set(attributes.child_id, { initiatedEventId: row.event_id, executionId: attributes.execution_id });
    }
  }
  return { activities, timers, updates: acceptedUpdates(updateRows), children };
}

/** The updates a run accepted, from the rows of their events in event order. */
function acceptedUpdates(rows: readonly UpdateEventRow[]): Map<string, AcceptedUpdate> {
  const updates = new Map<string, AcceptedUpdate>();
  for (const row of rows) {
    const { update_id: updateId } = JSON.parse(row.attributes) as { update_id: string };
    if (row.event_type === EventType.WorkflowExecutionUpdateAccepted) updates.set(updateId, { acceptedEventId: row.event_id, completed: false });
    else if (row.event_type === EventType.WorkflowExecutionUpdateCompleted) updates.get(updateId)!.completed = true;
  }
  return updates;
}

/**
 * Where an update stands, from the rows of its events (`update_id` set) on a run whose status
 * is `status`; `null` when the run never accepted it.
 */
export function updateOutcome(rows: readonly UpdateEventRow[], status: ExecutionStatus): UpdateOutcome | null {
  const accepted = rows.find((row) => row.event_type === EventType.WorkflowExecutionUpdateAccepted);
  if (!accepted) return null;
  const completed = rows.find((row) => row.event_type === EventType.WorkflowExecutionUpdateCompleted);
  if (!completed) return { stage: 'accepted', acceptedEventId: accepted.event_id, executionStatus: status };
  const attributes = JSON.parse(completed.attributes) as EventAttributes[typeof EventType.WorkflowExecutionUpdateCompleted];
  return { stage: 'completed', acceptedEventId: accepted.event_id, result: attributes.result, failure: attributes.failure };
}
