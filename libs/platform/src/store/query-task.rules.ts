import { formatTaskToken, type HistoryEvent, type QueryTaskWire } from '#workflows/protocol';
import type { CreateQueryParams, QueryAnswer, QueryTaskAnswer } from './store.interface.js';
import { fromJson, type QueryTaskAnswerText, type QueryTaskPayload, type TaskRow } from './store.rows.js';

/*
 * The engine-neutral rules of query tasks: what their rows hold and what they mean. A query task
 * is claimed like a workflow task but records nothing in history; it is never retried (a lost
 * lease queues it again), and its deadline, the caller's wait, closes it unanswered.
 */

/** The `payload` text of a query task. */
export function queryTaskPayload(params: CreateQueryParams): string {
  const payload: QueryTaskPayload = { query_name: params.queryName, input: params.input };
  return JSON.stringify(payload);
}

/** The `answer` text of a query task: its result, or the failure its handler threw. */
export function queryAnswerText(answer: QueryTaskAnswer): string {
  const text: QueryTaskAnswerText = { result: answer.failure ? null : (answer.result ?? null), failure: answer.failure ?? null };
  return JSON.stringify(text);
}

/**
 * A query task's state from its row (`undefined` when there is none): `pending` while queued or
 * leased, `answered` once closed with an answer, `gone` when closed without one (timed out,
 * abandoned, purged) or not a query of `namespace`.
 */
export function queryAnswerOf(task: TaskRow | undefined, namespace: string): QueryAnswer {
  if (!task || task.namespace !== namespace || task.kind !== 'query') return { state: 'gone' };
  if (task.state !== 'closed') return { state: 'pending' };
  const answer = fromJson<QueryTaskAnswerText>(task.answer);
  return answer ? { state: 'answered', result: answer.result, failure: answer.failure } : { state: 'gone' };
}

/** A leased query task in its wire shape, with the run's full history. */
export function toQueryTaskWire(task: TaskRow, history: HistoryEvent[]): QueryTaskWire {
  const payload = fromJson<QueryTaskPayload>(task.payload)!;
  return {
    kind: 'query',
    task_token: formatTaskToken({ kind: 'query', taskId: task.id, attempt: task.attempt }),
    execution_id: task.execution_id,
    run_id: task.run_id,
    workflow_name: task.name,
    query_name: payload.query_name,
    input: payload.input,
    attempt: task.attempt,
    history,
  };
}
