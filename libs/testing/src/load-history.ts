import { readFileSync } from 'node:fs';
import type { HistoryEvent } from '#workflows/protocol';

/**
 * Reads a saved history: the JSON of `GET /v1/workflows/executions/{id}/history` (an object
 * with `events`) or a plain array of events.
 */
export function loadHistory(path: string): HistoryEvent[] {
  let parsed: { events?: HistoryEvent[] } | HistoryEvent[];
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as { events?: HistoryEvent[] } | HistoryEvent[];
  } catch (error) {
    throw new Error(`${path} is not a readable JSON history: ${(error as Error).message}`);
  }
  const events = Array.isArray(parsed) ? parsed : parsed?.events;
  if (!Array.isArray(events) || events.length === 0) throw new Error(`${path} holds no history events`);
  return events;
}
