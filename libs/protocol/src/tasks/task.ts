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

/** Any leased task. */
export type TaskWire = WorkflowTaskWire | ActivityTaskWire;

/** The kind of a task, as the first letter of its token. */
export type TaskKind = TaskWire['kind'];

/** A task token's parts. */
export interface TaskTokenParts {
  kind: TaskKind;
  taskId: number;
  attempt: number;
}

const TOKEN_PATTERN = /^([wa])(\d{1,15})\.(\d{1,9})$/;

/** Formats a lease token: `w<task id>.<attempt>` or `a<task id>.<attempt>`. */
export function formatTaskToken(parts: TaskTokenParts): string {
  return `${parts.kind === 'workflow' ? 'w' : 'a'}${parts.taskId}.${parts.attempt}`;
}

/** Parses a lease token; `null` when it is not one. */
export function parseTaskToken(token: unknown): TaskTokenParts | null {
  if (typeof token !== 'string') return null;
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return null;
  return { kind: match[1] === 'w' ? 'workflow' : 'activity', taskId: Number(match[2]), attempt: Number(match[3]) };
}
