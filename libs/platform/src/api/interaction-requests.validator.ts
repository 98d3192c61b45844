import {
  Limits,
  idProblem,
  type BatchRequest,
  type CancelRequest,
  type JsonValue,
  type QueryRequest,
  type SignalRequest,
  type UpdateRequest,
} from '#workflows/protocol';
import { JsonFields, invalid } from './json-fields.js';
import { queryOf } from './execution-requests.validator.js';

/** A signal, query or update as the services take it: `input` is `null` when absent. */
type WithInput<T extends { input?: JsonValue }> = Omit<T, 'input'> & { input: JsonValue | null };

/** Validates `POST …/executions/{id}/signals`. */
export function parseSignalRequest(body: unknown): WithInput<SignalRequest> {
  const fields = JsonFields.of(body, '', ['name', 'input']);
  return { name: fields.id('name'), input: fields.json('input') as JsonValue | null };
}

/** Validates `POST …/executions/{id}/queries`; `timeout_seconds` defaults to `Limits.defaultInteractionWaitSeconds`. */
export function parseQueryRequest(body: unknown): WithInput<QueryRequest> & { timeout_seconds: number } {
  const fields = JsonFields.of(body, '', ['name', 'input', 'timeout_seconds']);
  return {
    name: fields.id('name'),
    input: fields.json('input') as JsonValue | null,
    timeout_seconds: fields.optionalInteger('timeout_seconds', 1, Limits.maxInteractionWaitSeconds) ?? Limits.defaultInteractionWaitSeconds,
  };
}

/**
 * Validates `POST …/executions/{id}/updates`. `timeout_seconds` may be 0: the update is accepted
 * and the answer does not wait for its handler.
 */
export function parseUpdateRequest(body: unknown): WithInput<UpdateRequest> & { timeout_seconds: number } {
  const fields = JsonFields.of(body, '', ['name', 'input', 'update_id', 'timeout_seconds']);
  const request: WithInput<UpdateRequest> & { timeout_seconds: number } = {
    name: fields.id('name'),
    input: fields.json('input') as JsonValue | null,
    timeout_seconds: fields.optionalInteger('timeout_seconds', 0, Limits.maxInteractionWaitSeconds) ?? Limits.defaultInteractionWaitSeconds,
  };
  const updateId = fields.optionalId('update_id');
  if (updateId !== undefined) request.update_id = updateId;
  return request;
}

/** Validates `POST …/executions/{id}/cancel` and `/terminate`; the body may be absent. */
export function parseCancelRequest(body: unknown): { reason: string | null } {
  const fields = JsonFields.of(body ?? {}, '', ['reason'] satisfies (keyof CancelRequest)[]);
  return { reason: fields.optionalString('reason', Limits.maxReasonLength) ?? null };
}

/** Validates the batch `POST …/executions/cancel` and `/terminate`: 1 to `Limits.maxBatchSize` distinct ids. */
export function parseBatchRequest(body: unknown): { executionIds: string[]; reason: string | null } {
  const fields = JsonFields.of(body, '', ['execution_ids', 'reason'] satisfies (keyof BatchRequest)[]);
  const ids = fields.array('execution_ids', Limits.maxBatchSize);
  if (ids.length === 0) throw invalid('execution_ids', 'must name at least one execution');
  const seen = new Set<string>();
  ids.forEach((id, index) => {
    const problem = idProblem(id);
    if (problem) throw invalid(`execution_ids[${index}]`, problem);
    if (seen.has(id as string)) throw invalid(`execution_ids[${index}]`, `repeats '${id as string}'`);
    seen.add(id as string);
  });
  return { executionIds: ids as string[], reason: fields.optionalString('reason', Limits.maxReasonLength) ?? null };
}

/**
 * Where a stream of events resumes: after the `Last-Event-ID` header's event, or the
 * `last_event_id` query parameter's; from the first event (0) without either.
 */
export function parseStreamStart(query: unknown, header: string | string[] | undefined): number {
  const q = queryOf(query, ['last_event_id']);
  if (Array.isArray(header)) throw invalid('Last-Event-ID', 'must be given once');
  if (header !== undefined && header !== '') return eventId(header, 'Last-Event-ID');
  const param = q['last_event_id'];
  return param === undefined || param === '' ? 0 : eventId(param, 'last_event_id');
}

function eventId(text: string, name: string): number {
  if (!/^\d{1,15}$/.test(text.trim())) throw invalid(name, `must be an event id (a non-negative integer), got '${text.slice(0, 32)}'`);
  return Number(text.trim());
}
