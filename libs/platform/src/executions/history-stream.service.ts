import { Inject, Injectable } from '@nestjs/common';
import { TERMINAL_EVENT_TYPES, type HistoryEvent } from '#workflows/protocol';
import { ExecutionWaiters } from '../matching/execution.waiters.js';
import { STORE } from '../platform.constants.js';
import type { Store } from '../store/store.interface.js';
import { executionNotFound } from './execution.errors.js';
import { isClosed } from './execution.mapper.js';

/** Events read per store call while catching up. */
const STREAM_PAGE = 200;
/** A stream that sent nothing for this long sends a keep-alive, so that proxies keep it open. */
export const KEEP_ALIVE_MS = 15_000;

/** One item of a live stream: an event, or `null` for a keep-alive. */
export type StreamItem = HistoryEvent | null;

/**
 * An execution's history as a live stream: the events after a given one, in order, each once,
 * then each new one as it is appended (woken by the execution's changes, never by polling),
 * until the terminal event. Feeds `GET …/executions/{id}/stream`.
 */
@Injectable()
export class HistoryStreamService {
  constructor(
    @Inject(STORE) private readonly store: Store,
    private readonly waiters: ExecutionWaiters,
  ) {}

  /** `WF_EXECUTION_NOT_FOUND` unless the namespace has the execution: checked before a stream starts. */
  async assertExists(namespace: string, executionId: string): Promise<void> {
    if (!(await this.store.getExecution(namespace, executionId))) throw executionNotFound(executionId);
  }

  /**
   * The events after `afterEventId`, then live ones; a `null` after `keepAliveMs` without any.
   * Ends after the terminal event (or at once when the execution is closed and everything was
   * given), when `signal` fires, or when the platform stops. The stream follows the run current
   * when it starts: a run continued as new ends it with `WORKFLOW_EXECUTION_CONTINUED_AS_NEW`.
   */
  async *events(namespace: string, executionId: string, afterEventId: number, signal: AbortSignal, keepAliveMs = KEEP_ALIVE_MS): AsyncGenerator<StreamItem> {
    let last = afterEventId;
    const runId = (await this.store.getExecution(namespace, executionId))?.runId;
    for (;;) {
      let batch: HistoryEvent[] = [];
      let finished = false;
      const end = await this.waiters.waitFor(namespace, executionId, { timeoutMs: keepAliveMs, signal }, async () => {
        const events = await this.store.readHistory(namespace, executionId, last, STREAM_PAGE, runId);
        if (events && events.length > 0) {
          batch = events;
          return true;
        }
        const execution = events ? await this.store.getExecution(namespace, executionId) : null;
        // Gone, or closed with nothing left to give (e.g. resumed after its terminal event), or
        // continued as new: the followed run has nothing left.
        finished = !execution || execution.runId !== runId || (isClosed(execution) && execution.lastEventId <= last);
        return finished;
      });
      if (end === 'timeout') {
        yield null;
        continue;
      }
      if (end !== 'ready' || finished) return;
      for (const event of batch) {
        // Never twice, never out of order, whatever a store page holds.
        if (event.event_id <= last) continue;
        yield event;
        last = event.event_id;
        if (TERMINAL_EVENT_TYPES.has(event.event_type)) return;
      }
    }
  }
}
