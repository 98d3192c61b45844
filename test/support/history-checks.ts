import { EventType, TERMINAL_EVENT_TYPES, type HistoryEvent } from '#workflows/protocol';

/** Activities with more than one closing event (COMPLETED or FAILED): "recorded duplicates". */
export function recordedDuplicates(history: HistoryEvent[]): number {
  const closings = new Map<number, number>();
  for (const event of history) {
    if (event.event_type === EventType.ActivityTaskCompleted || event.event_type === EventType.ActivityTaskFailed) {
      closings.set(event.attributes.activity_id, (closings.get(event.attributes.activity_id) ?? 0) + 1);
    }
  }
  return [...closings.values()].filter((count) => count > 1).length;
}

/** Activity ids scheduled more than once. */
export function duplicateSchedules(history: HistoryEvent[]): number {
  const seen = new Set<number>();
  let duplicates = 0;
  for (const event of history) {
    if (event.event_type !== EventType.ActivityTaskScheduled) continue;
    if (seen.has(event.attributes.activity_id)) duplicates++;
    seen.add(event.attributes.activity_id);
  }
  return duplicates;
}

/** Events after the terminal one (must be 0). */
export function eventsAfterClose(history: HistoryEvent[]): number {
  const index = history.findIndex((event) => TERMINAL_EVENT_TYPES.has(event.event_type));
  return index < 0 ? 0 : history.length - index - 1;
}

/** Resolves once `check` returns a value other than undefined; polls every 50 ms up to `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
