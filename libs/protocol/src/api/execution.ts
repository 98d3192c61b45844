import type { Failure } from '../failures/failure.js';
import type { HistoryEvent, JsonValue } from '../history/history-event.js';
import type { JsonSchema } from './worker.js';

/** The states of an execution. */
export const ExecutionStatus = {
  Running: 'RUNNING',
  Completed: 'COMPLETED',
  Failed: 'FAILED',
  Canceled: 'CANCELED',
  Terminated: 'TERMINATED',
  ContinuedAsNew: 'CONTINUED_AS_NEW',
  TimedOut: 'TIMED_OUT',
} as const;
/** One of {@link ExecutionStatus}'s values. */
export type ExecutionStatus = (typeof ExecutionStatus)[keyof typeof ExecutionStatus];

/** Body of `POST /v1/workflows/{workflow_identifier}/execute`. */
export interface ExecuteWorkflowRequest {
  execution_id?: string;
  input?: JsonValue;
  wait_for_result?: boolean;
  timeout_seconds?: number;
  deployment_name?: string;
  /**
   * Signal-with-start: delivers this signal to the execution, starting it first when no
   * execution with `execution_id` exists. A running one is signalled, not refused.
   */
  signal?: SignalRequest;
}

/** Body of `POST /v1/workflows/executions/{id}/signals`. */
export interface SignalRequest {
  name: string;
  input?: JsonValue;
}

/** Body of `POST /v1/workflows/executions/{id}/queries`. */
export interface QueryRequest {
  name: string;
  input?: JsonValue;
  /** How long to wait for a worker's answer. @default 10 */
  timeout_seconds?: number;
}

/** The answer to a query. A failed query is an error (`WF_QUERY_FAILED`) whose body carries `failure`. */
export interface QueryResponse {
  result: JsonValue | null;
}

/** Body of `POST /v1/workflows/executions/{id}/updates`. */
export interface UpdateRequest {
  name: string;
  input?: JsonValue;
  /**
   * Names the update so that a retried request does not run it twice: the same id returns
   * (or keeps waiting for) the same outcome. Generated when absent.
   */
  update_id?: string;
  /** How long to wait for the handler to finish. @default 10 */
  timeout_seconds?: number;
}

/**
 * The state of an update: `ACCEPTED` while its handler runs (the wait ended first: ask again with
 * the same `update_id`), `COMPLETED` with its `result` or its `failure`.
 */
export interface UpdateResponse {
  update_id: string;
  stage: 'ACCEPTED' | 'COMPLETED';
  result: JsonValue | null;
  failure: Failure | null;
}

/** Body of `POST /v1/workflows/executions/{id}/cancel` and `/terminate`. */
export interface CancelRequest {
  reason?: string;
}

/** Body of the batch `POST /v1/workflows/executions/cancel` and `/terminate`. */
export interface BatchRequest {
  execution_ids: string[];
  reason?: string;
}

/** One execution's outcome in a batch: `detail` and `code` say why it was not done. */
export interface BatchItemWire {
  execution_id: string;
  ok: boolean;
  code?: string;
  detail?: string;
}

/** The answer to a batch cancel or terminate. */
export interface BatchResponse {
  results: BatchItemWire[];
}

/** The answer to a signal, cancel or terminate of one execution. */
export interface ExecutionActionResponse {
  execution_id: string;
  run_id: string;
}

/** The execution object of the REST API. */
export interface ExecutionWire {
  workflow_name: string;
  deployment_name: string | null;
  execution_id: string;
  run_id: string;
  parent_execution_id: string | null;
  root_execution_id: string;
  status: ExecutionStatus;
  start_time: string;
  end_time: string | null;
  total_duration_ms: number | null;
  result: JsonValue | null;
  failure: Failure | null;
  /**
   * `GET …/executions/{id}` only: why its workflow task keeps failing (type and message of the
   * last failure, e.g. `NonDeterminismError` naming the recorded and the new command) while the
   * execution waits for fixed code; `null` when it is not failing.
   */
  workflow_task_failure?: Failure | null;
}

/** `GET /v1/workflows/executions/{id}/history`. */
export interface HistoryPageWire {
  events: HistoryEvent[];
  next_page_token: string | null;
}

/** `GET /v1/workflows/runs`. */
export interface RunsPageWire {
  executions: ExecutionWire[];
  next_page_token: string | null;
}

/** One registered workflow, as `GET /v1/workflows` lists it. */
export interface WorkflowWire {
  name: string;
  deployments: string[];
  /** Whether a live worker session has registered it. */
  active: boolean;
}

/** A handler as `GET /v1/workflows/{workflow_identifier}` shows it. */
export interface HandlerWire {
  name: string;
  /** JSON Schema of its input; `null` accepts any JSON. */
  input_schema: JsonSchema | null;
}

/** `GET /v1/workflows/{workflow_identifier}`: the workflow, its input schema and its handlers, as last registered. */
export interface WorkflowDetailWire extends WorkflowWire {
  input_schema: JsonSchema | null;
  signals: HandlerWire[];
  queries: HandlerWire[];
  updates: HandlerWire[];
}

/** `GET /v1/workflows`. */
export interface WorkflowsListWire {
  workflows: WorkflowWire[];
}

/** `GET /v1/workflows/workers/whoami`. */
export interface WhoAmIWire {
  scheduler_url: string;
  namespace: string;
  tls: boolean;
}
