import { ExecutionStatus, Limits, idProblem, type ExecuteWorkflowRequest, type JsonValue } from '#workflows/protocol';
import type { ExecutionFilter } from '../store/store.interface.js';
import { JsonFields, checkInteger, invalid } from './json-fields.js';

/** Default `timeout_seconds` of `wait_for_result`. */
export const DEFAULT_WAIT_FOR_RESULT_SECONDS = 60;

const STATUSES = Object.values(ExecutionStatus) as string[];

/** Validates the body of `POST /v1/workflows/{workflow_identifier}/execute`. */
export function parseExecuteRequest(body: unknown): ExecuteWorkflowRequest {
  const fields = JsonFields.of(body ?? {}, '', ['execution_id', 'input', 'wait_for_result', 'timeout_seconds', 'deployment_name', 'signal']);
  const request: ExecuteWorkflowRequest = { input: fields.json('input') as JsonValue };
  const executionId = fields.optionalId('execution_id');
  if (executionId !== undefined) request.execution_id = executionId;
  const wait = fields.optionalBoolean('wait_for_result');
  if (wait !== undefined) request.wait_for_result = wait;
  const timeout = fields.optionalInteger('timeout_seconds', 1, Limits.maxWaitForResultSeconds);
  if (timeout !== undefined) request.timeout_seconds = timeout;
  const deployment = fields.optionalId('deployment_name');
  if (deployment !== undefined) request.deployment_name = deployment;
  if (fields.has('signal')) {
    const signal = fields.object('signal', ['name', 'input']);
    request.signal = { name: signal.id('name'), input: signal.json('input') as JsonValue };
  }
  return request;
}

/** Checks a path parameter with the protocol's id rules. */
export function parseIdParam(name: string, value: unknown): string {
  const problem = idProblem(value);
  if (problem) throw invalid(name, problem);
  return value as string;
}

/** The query of a request: only `allowed` keys, each at most once. */
export function queryOf(query: unknown, allowed: readonly string[]): Record<string, string | undefined> {
  const record = (query ?? {}) as Record<string, unknown>;
  const result: Record<string, string | undefined> = {};
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) throw invalid(key, 'is not a known query parameter');
    const value = record[key];
    if (typeof value !== 'string') throw invalid(key, 'must be given once');
    result[key] = value;
  }
  return result;
}

function queryInteger(query: Record<string, string | undefined>, name: string, min: number, max: number, fallback: number): number {
  const text = query[name];
  if (text === undefined || text === '') return fallback;
  return checkInteger(/^-?\d{1,16}$/.test(text) ? Number(text) : text, name, min, max);
}

/** `wait_seconds` of `GET …/executions/{id}`; 0 when absent. */
export function parseExecutionQuery(query: unknown): { waitSeconds: number } {
  const q = queryOf(query, ['wait_seconds']);
  return { waitSeconds: queryInteger(q, 'wait_seconds', 0, Limits.maxWaitForResultSeconds, 0) };
}

/** `page_size` and `next_page_token` of `GET …/executions/{id}/history`. */
export function parseHistoryQuery(query: unknown): { pageSize: number; afterEventId: number; runId?: string } {
  const q = queryOf(query, ['page_size', 'next_page_token', 'run_id']);
  const pageSize = queryInteger(q, 'page_size', 1, Limits.maxPageSize, 100);
  // Addition (issue 6): a run the execution continued as new from; absent, the current run.
  const run = q['run_id'] ? { runId: parseIdParam('run_id', q['run_id']) } : {};
  const token = q['next_page_token'];
  if (token === undefined || token === '') return { pageSize, afterEventId: 0, ...run };
  if (!/^\d{1,15}$/.test(token)) throw invalid('next_page_token', 'is not a token this API issued');
  return { pageSize, afterEventId: Number(token), ...run };
}

/** The filters and page of `GET /v1/workflows/runs`. */
export function parseRunsQuery(query: unknown): { filter: ExecutionFilter; pageSize: number; cursor?: string } {
  const q = queryOf(query, ['workflow_identifier', 'status', 'deployment_name', 'page_size', 'next_page_token']);
  const filter: ExecutionFilter = {};
  if (q['workflow_identifier']) filter.workflowName = parseIdParam('workflow_identifier', q['workflow_identifier']);
  if (q['deployment_name']) filter.deploymentName = parseIdParam('deployment_name', q['deployment_name']);
  const status = q['status'];
  if (status) {
    if (!STATUSES.includes(status)) throw invalid('status', `must be one of ${STATUSES.join(', ')}`);
    filter.status = status as ExecutionStatus;
  }
  const pageSize = queryInteger(q, 'page_size', 1, Limits.maxPageSize, 50);
  const token = q['next_page_token'];
  if (token !== undefined && token.length > 1024) throw invalid('next_page_token', 'is not a token this API issued');
  return token ? { filter, pageSize, cursor: token } : { filter, pageSize };
}
