import type { Failure } from '../failures/failure.js';
import type { HistoryEvent, JsonValue } from '../history/history-event.js';

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
