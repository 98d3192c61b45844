import type { Command } from '../commands/command.js';
import type { Failure } from '../failures/failure.js';
import type { HistoryEvent, JsonValue } from '../history/history-event.js';
import type { TaskWire } from '../tasks/task.js';

/** A JSON Schema (draft 2020-12) document, as registered for an input. */
export type JsonSchema = { [key: string]: JsonValue } | boolean;

/** A signal, query or update handler a workflow defines; `input_schema` absent or null accepts any JSON. */
export interface HandlerRegistrationWire {
  name: string;
  input_schema?: JsonSchema | null;
}

/** A workflow as a worker registers it: its input schema and its handlers. */
export interface WorkflowRegistrationWire {
  name: string;
  input_schema?: JsonSchema | null;
  signals?: HandlerRegistrationWire[];
  queries?: HandlerRegistrationWire[];
  updates?: HandlerRegistrationWire[];
}

/** `POST /v1/workflows/workers/register`: opens a worker session. */
export interface RegisterWorkerRequest {
  worker_name: string;
  deployment_name: string;
  sdk_version: string;
  workflows: WorkflowRegistrationWire[];
  activities: { name: string }[];
  max_concurrent_workflow_tasks: number;
  max_concurrent_activity_tasks: number;
}

/** The session the platform opened. */
export interface RegisterWorkerResponse {
  worker_id: string;
  namespace: string;
  /** How often the worker must heartbeat. */
  heartbeat_interval_ms: number;
  /** A session not heard from for this long expires. */
  session_timeout_ms: number;
  /** Longest a poll is held open waiting for a task. */
  poll_wait_ms: number;
  /**
   * Addition (issue 11): how long a leased workflow task may take before it times out and is
   * offered again. Local activities run inside a workflow task, so the worker keeps them well
   * within it.
   */
  workflow_task_timeout_ms?: number;
  warnings: string[];
}

/** How many more tasks of each kind the worker can take now. */
export interface TaskSlots {
  max_workflow_tasks: number;
  max_activity_tasks: number;
}

/** `POST /v1/workflows/tasks/poll`: held until a task is available or `wait_ms` passes. */
export interface PollTasksRequest extends TaskSlots {
  worker_id: string;
  wait_ms?: number;
}

/** The tasks leased to the caller; empty when the wait ended with none. */
export interface TasksResponse {
  tasks: TaskWire[];
}

/**
 * `POST /v1/workflows/tasks/complete`. A workflow task's completion carries `commands`,
 * an activity task's carries `result`. `next` asks for more tasks in the same round trip.
 */
export interface CompleteTaskRequest {
  worker_id: string;
  task_token: string;
  commands?: Command[];
  result?: JsonValue | null;
  next?: TaskSlots;
}

/** `POST /v1/workflows/tasks/fail`. */
export interface FailTaskRequest {
  worker_id: string;
  task_token: string;
  failure: Failure;
  next?: TaskSlots;
}

/**
 * `POST /v1/workflows/tasks/heartbeat`: a running activity attempt is alive, with optional
 * progress details the next attempt can read. A stale token is refused with 409: the attempt
 * was superseded and should stop.
 */
export interface HeartbeatTaskRequest {
  worker_id: string;
  task_token: string;
  details?: JsonValue | null;
}

/** The answer to an activity heartbeat. */
export interface HeartbeatTaskResponse {
  /** True when the workflow asked the activity to stop (cancellation): the attempt's AbortSignal fires. */
  cancel_requested: boolean;
}

/**
 * `POST /v1/workflows/workers/{worker_id}/shutdown`: the worker is leaving. Its session
 * closes and every task it still holds is offered again at once (next attempt), without
 * waiting for a timeout.
 */
export interface ShutdownWorkerRequest {
  /**
   * The tokens of the tasks this worker started (ran) and whose outcome the platform has not
   * acknowledged. Only these attempts are recorded as failed (`WorkerShutdown`); every other
   * task it holds (leased by a poll or a completion's response it never acted on) goes back
   * undelivered: no failure recorded. Absent (an older worker): every task it holds counts as started.
   */
  started_task_tokens?: string[];
}

/** What the shutdown gave back. */
export interface ShutdownWorkerResponse {
  released: number;
}

/**
 * Addition (issue 11): `POST /v1/workflows/tasks/history`, a page of a run's history for a
 * worker that was sent only the new events of a run it no longer holds in memory.
 */
export interface TaskHistoryRequest {
  worker_id: string;
  execution_id: string;
  run_id: string;
  /** Events after this one. @default 0 */
  after_event_id?: number;
  /** At most this many events (1 to 5,000). @default 1000 */
  page_size?: number;
}

/** A page of a run's history, in event order; fewer than `page_size` events: the last page. */
export interface TaskHistoryResponse {
  history: HistoryEvent[];
}

/**
 * Addition (issue 11): `POST /v1/workflows/tasks/release`, tasks leased to a stopping worker
 * (from a poll or a completion's answer) that it will not start: each goes back at once as
 * undelivered, without counting a failed attempt.
 */
export interface ReleaseTasksRequest {
  worker_id: string;
  task_tokens: string[];
}

/** What a release did. */
export interface ReleaseTasksResponse {
  /** How many tasks were queued again (tokens no longer leased to the worker are ignored). */
  released: number;
}
