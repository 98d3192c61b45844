import type { ExecutionStatus, Failure, HistoryEvent, JsonValue, ParentClosePolicy, RetryPolicyWire } from '#workflows/protocol';
import type { CreatedTask, ExecutionRecord, WorkerSession } from './store.interface.js';

/** A row of `executions`, the same in every engine (JSON kept as text, times as epoch ms). */
export interface ExecutionRow {
  namespace: string;
  execution_id: string;
  run_id: string;
  workflow_name: string;
  deployment_name: string | null;
  parent_execution_id: string | null;
  root_execution_id: string;
  status: ExecutionStatus;
  input: string | null;
  result: string | null;
  failure: string | null;
  start_time: number;
  end_time: number | null;
  last_event_id: number;
  /** 1 once the current run was warned of its history size (addition, issue 6); absent before the migration ran. */
  history_warned?: number;
  /** The worker that answered the run's last workflow task, while it is the one to offer the next to (sticky execution). */
  sticky_worker_id?: string | null;
  /** The last event that worker has seen of the run (addition, issue 11): its next workflow task carries only the events after it. */
  sticky_event_id?: number | null;
  /** A child workflow's (addition, issue 6): the parent's run that started it, its `child_id` there, and that run's `START_CHILD_WORKFLOW_EXECUTION_INITIATED`. */
  parent_run_id?: string | null;
  parent_child_id?: number | null;
  parent_initiated_event_id?: number | null;
  /** What happens to the child when the parent's run closes. */
  parent_close_policy?: ParentClosePolicy | null;
}

/**
 * A row of `tasks`: a workflow, activity or query task a worker leases, or a durable timer
 * (`timer`, never leased: the timeout sweep fires it at `deadline_at`).
 */
export interface TaskRow {
  id: number;
  namespace: string;
  kind: CreatedTask['kind'];
  execution_id: string;
  run_id: string;
  name: string;
  deployment_name: string | null;
  state: 'queued' | 'leased' | 'closed';
  attempt: number;
  visible_at: number;
  lease_expires_at: number | null;
  /** The worker holding the lease; kept on a row its holder closed, so that a retried completion is recognised. */
  worker_id: string | null;
  worker_name: string | null;
  last_seen_event_id: number | null;
  payload: string | null;
  heartbeat_details: string | null;
  leased_at: number | null;
  /** The current attempt's last sign of life: its lease or its last heartbeat. */
  heartbeat_at: number | null;
  /** The task's next timeout, claimed by the sweep; `NULL` when none applies. */
  deadline_at: number | null;
  /** JSON `{type, message}` of the workflow task's last recorded failure. */
  last_failure: string | null;
  closed_at: number | null;
  /** A query task's answer: JSON {@link QueryTaskAnswerText}, set when the worker answered it. */
  answer: string | null;
  /** 1 when the workflow asked the leased activity attempt to stop (`REQUEST_CANCEL_ACTIVITY`), else 0. */
  cancel_requested: number;
  /** A workflow task offered first to this worker (it holds the run in memory) until `sticky_until`. */
  sticky_worker_id?: string | null;
  sticky_until?: number | null;
}

/** What a timer task row carries in `payload`. */
export interface TimerTaskPayload {
  timer_id: number;
  /** The `TIMER_STARTED` event's id. */
  started_event_id: number;
}

/** What a query task row carries in `payload`. */
export interface QueryTaskPayload {
  query_name: string;
  input: JsonValue | null;
}

/** A query task's recorded answer (the `answer` column). */
export interface QueryTaskAnswerText {
  result: JsonValue | null;
  failure: Failure | null;
}

/** What an activity task row carries in `payload`. */
export interface ActivityTaskPayload {
  workflow_name: string;
  activity_id: number;
  scheduled_event_id: number;
  input: JsonValue[];
  start_to_close_timeout_ms: number;
  /** Absent on tasks scheduled before timeouts were kept: none applies. */
  schedule_to_start_timeout_ms?: number;
  schedule_to_close_timeout_ms?: number;
  heartbeat_timeout_ms?: number;
  /** When `ACTIVITY_TASK_SCHEDULED` was recorded. */
  scheduled_at?: number;
  retry: RetryPolicyWire;
}

/** A row of `history_events` (the columns a history read selects). */
export interface HistoryEventRow {
  event_id: number;
  event_type: string;
  event_timestamp: number;
  attributes: string;
}

/** A row of `worker_sessions`. */
export interface WorkerSessionRow {
  worker_id: string;
  namespace: string;
  worker_name: string;
  deployment_name: string;
  workflows: string;
  activities: string;
  opened_at: number;
  expires_at: number;
}

/** JSON text of a value; SQL NULL for `null` or `undefined`. */
export function toJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/** The value of JSON text; `null` for SQL NULL. */
export function fromJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

/** An execution row as the store's record. */
export function toExecutionRecord(row: ExecutionRow): ExecutionRecord {
  return {
    namespace: row.namespace,
    executionId: row.execution_id,
    runId: row.run_id,
    workflowName: row.workflow_name,
    deploymentName: row.deployment_name,
    parentExecutionId: row.parent_execution_id,
    rootExecutionId: row.root_execution_id,
    status: row.status,
    input: fromJson(row.input),
    result: fromJson(row.result),
    failure: fromJson(row.failure),
    startTime: row.start_time,
    endTime: row.end_time,
    lastEventId: row.last_event_id,
  };
}

/** A history row in its wire shape. */
export function toHistoryEvent(row: HistoryEventRow): HistoryEvent {
  return {
    event_id: row.event_id,
    event_type: row.event_type,
    event_timestamp: new Date(row.event_timestamp).toISOString(),
    attributes: JSON.parse(row.attributes),
  } as HistoryEvent;
}

/** A row of `workflow_registrations` as the listing reads it: sorted by workflow name, then deployment. */
export interface RegistrationRow {
  workflow_name: string;
  deployment_name: string;
  last_registered_at: number;
  /** JSON `WorkflowRegistrationWire`, or `NULL` when the worker declared none. */
  definition: string | null;
}

/** The workflow names a session registers, each with its definition's JSON text (`null` when it declared none). */
export function registeredDefinitions(session: WorkerSession): [name: string, definition: string | null][] {
  const definitions = new Map((session.workflowDefinitions ?? []).map((definition) => [definition.name, definition]));
  return [...new Set(session.workflows)].map((name) => [name, toJson(definitions.get(name))]);
}

/** A session row as the store's record. */
export function toWorkerSession(row: WorkerSessionRow): WorkerSession {
  return {
    workerId: row.worker_id,
    namespace: row.namespace,
    workerName: row.worker_name,
    deploymentName: row.deployment_name,
    workflows: JSON.parse(row.workflows) as string[],
    activities: JSON.parse(row.activities) as string[],
    openedAt: row.opened_at,
    expiresAt: row.expires_at,
  };
}
