import type { HistoryEvent, JsonValue } from '../history/history-event.js';

/**
 * A leased workflow task: the run's history so far. The worker replays it (or applies the
 * new events to the instance it holds) and answers with commands.
 */
export interface WorkflowTaskWire {
  kind: 'workflow';
  /** The lease: task and attempt. A completion with a stale token is refused with 409. */
  task_token: string;
  execution_id: string;
  run_id: string;
  workflow_name: string;
  attempt: number;
  history: HistoryEvent[];
  /**
   * Addition (issue 11), incremental history: set when `history` holds only the events after
   * this one, because this worker answered the run's last workflow task and should hold the run
   * in memory up to it. A worker that does not fetches the whole history (`tasks/history`).
   */
  history_after_event_id?: number;
  /** Addition (issue 6): how many events the run's history holds. */
  history_length?: number;
  /**
   * Addition (issue 6): the history reached the platform's soft limit (`WORKFLOWS_HISTORY_WARN_EVENTS`):
   * the workflow should continue as new before the hard limit ends it.
   */
  continue_as_new_suggested?: boolean;
}

/** A leased activity task. */
export interface ActivityTaskWire {
  kind: 'activity';
  task_token: string;
  execution_id: string;
  run_id: string;
  workflow_name: string;
  activity_id: number;
  activity_name: string;
  scheduled_event_id: number;
  input: JsonValue[];
  attempt: number;
  start_to_close_timeout_ms: number;
  /** Heartbeat at least this often (0: no heartbeat required); a silent attempt is timed out. */
  heartbeat_timeout_ms: number;
  /** Details of the last heartbeat of an earlier attempt, if any. */
  heartbeat_details: JsonValue | null;
}

/**
 * A leased query: the worker rebuilds the run from `history` (or uses the instance it holds),
 * calls the `@Query()` method and answers with its result (`tasks/complete`) or its failure
 * (`tasks/fail`). Nothing is recorded in history.
 */
export interface QueryTaskWire {
  kind: 'query';
  task_token: string;
  execution_id: string;
  run_id: string;
  workflow_name: string;
  query_name: string;
  input: JsonValue | null;
  attempt: number;
  history: HistoryEvent[];
}

/** Any leased task. */
export type TaskWire = WorkflowTaskWire | ActivityTaskWire | QueryTaskWire;

/** The kind of a task, as the first letter of its token. */
export type TaskKind = TaskWire['kind'];

/** A task token's parts. */
export interface TaskTokenParts {
  kind: TaskKind;
  taskId: number;
  attempt: number;
}

const TOKEN_PATTERN = /^([waq])(\d{1,15})\.(\d{1,9})$/;
const TOKEN_PREFIX: Readonly<Record<TaskKind, string>> = { workflow: 'w', activity: 'a', query: 'q' };
const TOKEN_KIND: Readonly<Record<string, TaskKind>> = { w: 'workflow', a: 'activity', q: 'query' };

/** Formats a lease token: `w<task id>.<attempt>`, `a…` or `q…`. */
export function formatTaskToken(parts: TaskTokenParts): string {
  return `${TOKEN_PREFIX[parts.kind]}${parts.taskId}.${parts.attempt}`;
}

/** Parses a lease token; `null` when it is not one. */
export function parseTaskToken(token: unknown): TaskTokenParts | null {
  if (typeof token !== 'string') return null;
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return null;
  return { kind: TOKEN_KIND[match[1]!]!, taskId: Number(match[2]), attempt: Number(match[3]) };
}
