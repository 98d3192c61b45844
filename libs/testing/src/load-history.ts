import { readFileSync } from 'node:fs';
import type { HistoryEvent } from '#workflows/protocol';

/**
 * Reads a saved history: the JSON of `GET /v1/workflows/executions/{id}/history` (an object
 * with `events`) or a plain array of events.
 */
export function loadHistory(path: string): HistoryEvent[] {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { events?: HistoryEvent[] } | HistoryEvent[];
  const events = Array.isArray(parsed) ? parsed : parsed.events;
  if (!Array.isArray(events) || events.length === 0) throw new Error(`${path} holds no history events`);
  return events;
}
