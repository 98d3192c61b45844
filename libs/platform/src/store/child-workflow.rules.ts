import {
  EventType,
  ExecutionStatus,
  ParentClosePolicy,
  PlatformFailureType,
  type ChildEventIds,
  type Failure,
  type NewEvent,
} from '#workflows/protocol';
import type { PlannedChild } from '../executions/workflow-task.planner.js';
import type { RunClose } from './execution-transition.rules.js';
import type { CreatedTask, TransitionOutcome } from './store.interface.js';
import { toJson, type ExecutionRow } from './store.rows.js';

/*
 * The engine-neutral rules of child workflows: what the parent's history records when a child
 * starts, fails to start or ends, what a child's first event says of its parent, and what a
 * parent's close does to its running children. Both engines read and write rows their own way.
 */

/** An execution a transition closed besides the one it acted on (a child its parent's close terminated). */
export interface ClosedExecution {
  executionId: string;
  status: ExecutionStatus;
}

/** What closing a run did beyond it: tasks it queued (a parent's next workflow task, a child's) and executions it closed. */
export interface RunCascade {
  tasks: CreatedTask[];
  closed: ClosedExecution[];
}

/** An empty cascade, to fill. */
export function emptyCascade(): RunCascade {
  return { tasks: [], closed: [] };
}

/** The outcome of a transition that closed `executionId` with `status`, and what that close did to its parent and children. */
export function closedOutcome(executionId: string, status: ExecutionStatus, cascade: RunCascade): TransitionOutcome {
  return { tasks: cascade.tasks, closed: { executionId, status }, ...(cascade.closed.length > 0 ? { alsoClosed: cascade.closed } : {}) };
}

/** The ids a child's events in its parent's history carry. */
export function childEventIds(child: PlannedChild): ChildEventIds {
  return { child_id: child.command.child_id, initiated_event_id: child.initiatedEventId, execution_id: child.command.execution_id };
}

/** `START_CHILD_WORKFLOW_EXECUTION_FAILED` for a child whose execution id is taken. */
export function childAlreadyStartedFailure(child: PlannedChild, existing: Pick<ExecutionRow, 'run_id' | 'status'>): Failure {
  return {
    type: PlatformFailureType.WorkflowExecutionAlreadyStarted,
    message: `child workflow '${child.command.workflow_name}' could not start: execution '${child.command.execution_id}' already exists (run ${existing.run_id}, ${existing.status})`,
    non_retryable: true,
  };
}

/** The columns of a child's execution row, in the order of {@link childExecutionValues}. */
export const CHILD_EXECUTION_COLUMNS =
  'namespace, execution_id, run_id, workflow_name, deployment_name, parent_execution_id, root_execution_id, status, input, ' +
  'start_time, last_event_id, parent_run_id, parent_child_id, parent_initiated_event_id, parent_close_policy';

/** The values of a child's new execution row (running, no event yet), for {@link CHILD_EXECUTION_COLUMNS}. */
export function childExecutionValues(parent: ExecutionRow, child: PlannedChild, runId: string, now: number): unknown[] {
  const { command } = child;
  return [
    parent.namespace,
    command.execution_id,
    runId,
    command.workflow_name,
    command.deployment_name ?? null,
    parent.execution_id,
    parent.root_execution_id,
    ExecutionStatus.Running,
    toJson(command.input ?? null),
    now,
    0,
    parent.run_id,
    command.child_id,
    child.initiatedEventId,
    command.parent_close_policy,
  ];
}

/** The parent's event for a child that could not start. */
export function startChildFailedEvent(child: PlannedChild, failure: Failure): NewEvent {
  return { event_type: EventType.StartChildWorkflowExecutionFailed, attributes: { ...childEventIds(child), failure } };
}

/** The parent's event for a child that started, `runId` its first run. */
export function childStartedEvent(child: PlannedChild, runId: string): NewEvent {
  return { event_type: EventType.ChildWorkflowExecutionStarted, attributes: { ...childEventIds(child), run_id: runId } };
}

/** The child's first event: `WORKFLOW_EXECUTION_STARTED` naming its parent and root. */
export function childStartEvent(parent: ExecutionRow, child: PlannedChild, runId: string): NewEvent {
  return {
    event_type: EventType.WorkflowExecutionStarted,
    attributes: {
      workflow_name: child.command.workflow_name,
      deployment_name: child.command.deployment_name ?? null,
      input: child.command.input ?? null,
      run_id: runId,
      parent_execution_id: parent.execution_id,
      parent_run_id: parent.run_id,
      root_execution_id: parent.root_execution_id,
    },
  };
}

/** What a continued run's first event carries of its parent, so that every run of a child names it. */
export function parentAttributes(row: ExecutionRow): Record<string, string> {
  if (!row.parent_execution_id || !row.parent_run_id) return {};
  return { parent_execution_id: row.parent_execution_id, parent_run_id: row.parent_run_id, root_execution_id: row.root_execution_id };
}

/**
 * The event the parent records when its child (`child`, closed with `close`) ended, or `null`
 * when it does not concern the parent: no parent, or the run continued as new (the child goes on).
 */
export function childClosedEvent(child: ExecutionRow, close: RunClose): NewEvent | null {
  if (!child.parent_run_id || child.parent_child_id == null || child.parent_initiated_event_id == null) return null;
  const ids: ChildEventIds & { run_id: string } = {
    child_id: child.parent_child_id,
    initiated_event_id: child.parent_initiated_event_id,
    execution_id: child.execution_id,
    run_id: child.run_id,
  };
  switch (close.status) {
    case ExecutionStatus.Completed:
      return { event_type: EventType.ChildWorkflowExecutionCompleted, attributes: { ...ids, result: close.result } };
    case ExecutionStatus.Failed:
    case ExecutionStatus.TimedOut:
      return {
        event_type: EventType.ChildWorkflowExecutionFailed,
        attributes: { ...ids, failure: close.failure ?? { type: 'WorkflowFailed', message: `child workflow ${close.status}` } },
      };
    case ExecutionStatus.Canceled:
      return { event_type: EventType.ChildWorkflowExecutionCanceled, attributes: { ...ids, reason: close.reason ?? null } };
    case ExecutionStatus.Terminated:
      return { event_type: EventType.ChildWorkflowExecutionTerminated, attributes: { ...ids, reason: close.reason ?? null } };
    default:
      return null;
  }
}

/**
 * Whether `row` is the running child `childId` of the parent's run: an execution with the id a
 * child asked for may be another one (that child's start failed: the id was taken).
 */
export function isRunningChildOf(row: ExecutionRow | undefined, parent: ExecutionRow, childId: number): row is ExecutionRow {
  return row !== undefined && row.parent_run_id === parent.run_id && row.parent_child_id === childId && row.status === ExecutionStatus.Running;
}

/** What a parent's close does to a running child, by its policy. */
export function parentCloseAction(child: ExecutionRow): 'terminate' | 'request_cancel' | 'none' {
  switch (child.parent_close_policy) {
    case ParentClosePolicy.Abandon:
      return 'none';
    case ParentClosePolicy.RequestCancel:
      return 'request_cancel';
    default:
      return 'terminate';
  }
}

/** The reason recorded on a child its parent's close terminates or asks to cancel. */
export function parentClosedReason(parent: Pick<ExecutionRow, 'execution_id' | 'run_id'>, status: ExecutionStatus): string {
  return `parent execution '${parent.execution_id}' (run ${parent.run_id}) closed ${status}`;
}
