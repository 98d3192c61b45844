import { randomUUID } from 'node:crypto';
import { Observable } from 'rxjs';
import {
  ErrorCode,
  ExecutionStatus,
  TERMINAL_EVENT_TYPES,
  type ExecutionActionResponse,
  type ExecutionWire,
  type HistoryEvent,
} from '#workflows/protocol';
import { fromFailure } from '../errors/failure.converter.js';
import { WorkflowFailedError } from '../errors/workflow-failed.error.js';
import { WorkflowQueryFailedError } from '../errors/workflow-query-failed.error.js';
import { WorkflowUpdateFailedError } from '../errors/workflow-update-failed.error.js';
import { WorkflowsApiError } from '../errors/workflows-api.error.js';
import { toJsonPayload } from '../runtime/payload.js';
import type { PlatformTransport } from '../transport/platform-transport.js';

/** How long one long-poll for a result is held by the platform. */
const RESULT_POLL_SECONDS = 30;
/** How long one update request waits for the handler before asking again. */
const UPDATE_POLL_SECONDS = 30;
/** Consecutive failed waits (platform unreachable or 5xx) before a wait gives up, about a minute. */
const MAX_TRANSIENT_RETRIES = 40;

/** Options of {@link WorkflowHandle.query}. */
export interface QueryOptions {
  /** How long to wait for a worker to answer. @default 10 */
  timeoutSeconds?: number;
}

/** Options of {@link WorkflowHandle.update}. */
export interface UpdateOptions {
  /** Names the update, so that running the same call again (after a crash, say) does not apply it twice. @default a UUID */
  updateId?: string;
}

/** A handle on one execution, from `WorkflowsClient.start()` or `getHandle()`. */
export class WorkflowHandle<TResult = unknown> {
  /**
   * The execution's history as a live stream: every event from the first, then each new one as
   * it is appended, until the terminal event (then it completes). A dropped connection is
   * resumed from the last event received (`Last-Event-ID`), without gaps or repeats.
   * Unsubscribing closes the connection.
   */
  readonly events$: Observable<HistoryEvent>;

  constructor(
    private readonly transport: PlatformTransport,
    /** The execution's id. */
    readonly executionId: string,
  ) {
    this.events$ = this.eventStream(0);
  }

  /** The live stream of events after `lastEventId` (see {@link events$}). */
  eventsAfter(lastEventId: number): Observable<HistoryEvent> {
    return this.eventStream(lastEventId);
  }

  /** The execution object as the platform has it now. */
  describe(): Promise<ExecutionWire> {
    return this.transport.getExecution(this.executionId);
  }

  /**
   * Waits until the execution closes and returns its result; throws `WorkflowFailedError`
   * (whose `cause` is the workflow's error) when it did not complete. A run that continues as new
   * does not close the execution: the wait follows the chain of runs to the last one.
   */
  async result(): Promise<TResult> {
    for (;;) {
      const execution = await withTransientRetries(() => this.transport.getExecution(this.executionId, RESULT_POLL_SECONDS));
      if (execution.status !== ExecutionStatus.Running && execution.status !== ExecutionStatus.ContinuedAsNew) return resultOf<TResult>(execution);
    }
  }

  /**
   * Every event of the history of the execution's current run, in order; with `runId`, of that
   * run (one the execution continued as new from: its `WORKFLOW_EXECUTION_STARTED` names the run
   * before it in `continued_from_run_id`).
   */
  async history(options: { runId?: string } = {}): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let token: string | undefined;
    do {
      const page = await this.transport.getHistory(this.executionId, token, options.runId);
      events.push(...page.events);
      token = page.next_page_token ?? undefined;
    } while (token);
    return events;
  }

  /** Sends a signal: recorded, then delivered to the workflow's `@Signal()` method of that name. */
  async signal(name: string, input?: unknown): Promise<void> {
    await this.transport.signal(this.executionId, { name, input: toJsonPayload(input, 'signal input') });
  }

  /**
   * Asks the workflow's `@Query()` method of that name for its answer, computed from the
   * workflow's state by a worker. Throws `WorkflowQueryFailedError` when the handler throws.
   */
  async query<T = unknown>(name: string, input?: unknown, options: QueryOptions = {}): Promise<T> {
    try {
      const response = await this.transport.query(this.executionId, {
        name,
        input: toJsonPayload(input, 'query input'),
        timeout_seconds: options.timeoutSeconds,
      });
      return response.result as T;
    } catch (error) {
      if (error instanceof WorkflowsApiError && error.code === ErrorCode.QueryFailed && error.failure) {
        throw new WorkflowQueryFailedError(this.executionId, name, error.failure, fromFailure(error.failure));
      }
      throw error;
    }
  }

  /**
   * Runs the workflow's `@Update()` method of that name and returns its result, waiting as long
   * as it takes. Throws `WorkflowUpdateFailedError` when the handler throws.
   */
  async update<T = unknown>(name: string, input?: unknown, options: UpdateOptions = {}): Promise<T> {
    const updateId = options.updateId ?? randomUUID();
    const body = { name, input: toJsonPayload(input, 'update input'), update_id: updateId, timeout_seconds: UPDATE_POLL_SECONDS };
    for (;;) {
      const response = await withTransientRetries(() => this.transport.update(this.executionId, body));
      if (response.stage !== 'COMPLETED') continue;
      if (response.failure) {
        throw new WorkflowUpdateFailedError(this.executionId, name, updateId, response.failure, fromFailure(response.failure));
      }
      return response.result as T;
    }
  }

  /**
   * Asks the execution to cancel: the workflow sees a `CancelledFailure` in what it awaits and
   * may clean up; running activities are told through their heartbeats.
   */
  cancel(reason?: string): Promise<ExecutionActionResponse> {
    return this.transport.cancel(this.executionId, reason === undefined ? {} : { reason });
  }

  /** Ends the execution at once, recording the reason; no workflow code runs. */
  terminate(reason?: string): Promise<ExecutionActionResponse> {
    return this.transport.terminate(this.executionId, reason === undefined ? {} : { reason });
  }

  private eventStream(afterEventId: number): Observable<HistoryEvent> {
    return new Observable<HistoryEvent>((subscriber) => {
      const abort = new AbortController();
      const pump = async (): Promise<void> => {
        let lastEventId = afterEventId;
        let failures = 0;
        while (!abort.signal.aborted) {
          try {
            let received = 0;
            for await (const event of this.transport.streamEvents(this.executionId, lastEventId, abort.signal)) {
              // A resumed stream never repeats what was received; guard anyway, events are numbered.
              if (event.event_id <= lastEventId) continue;
              lastEventId = event.event_id;
              failures = 0;
              received++;
              subscriber.next(event);
              if (TERMINAL_EVENT_TYPES.has(event.event_type)) {
                subscriber.complete();
                return;
              }
            }
            // The platform ends at once a stream resumed after a closed execution's terminal event: nothing will come.
            if (received === 0 && !abort.signal.aborted && (await this.closedBefore(lastEventId))) {
              subscriber.complete();
              return;
            }
          } catch (error) {
            if (abort.signal.aborted) return;
            // An answer (404, 401, ...) or a payload that is not an event ends the stream; a dropped connection or a 5xx does not.
            const transient = error instanceof WorkflowsApiError ? error.status >= 500 : !(error instanceof SyntaxError);
            if (!transient) throw error;
          }
          // The connection ended without the terminal event: resume after a short backoff.
          if (++failures > MAX_TRANSIENT_RETRIES) throw new Error(`The event stream of ${this.executionId} kept failing`);
          await delay(Math.min(2000, 25 * 2 ** failures), abort.signal);
        }
      };
      pump().catch((error: unknown) => {
        if (!abort.signal.aborted) subscriber.error(error);
      });
      return () => abort.abort();
    });
  }

  /** Whether the execution is closed with no event after `lastEventId` (an empty stream then is its end, not a drop). */
  private async closedBefore(lastEventId: number): Promise<boolean> {
    if ((await this.describe()).status === ExecutionStatus.Running) return false;
    return !(await this.history()).some((event) => event.event_id > lastEventId);
  }
}

/** The result of a closed execution, or the typed error it ended with. */
export function resultOf<TResult>(execution: ExecutionWire): TResult {
  if (execution.status === ExecutionStatus.Completed) return execution.result as TResult;
  throw new WorkflowFailedError(execution, execution.failure, execution.failure ? fromFailure(execution.failure) : undefined);
}

/** Runs `call`, retrying while the platform is unreachable or answers 5xx (a restart rides through); any other answer ends it. */
async function withTransientRetries<T>(call: () => Promise<T>): Promise<T> {
  for (let failures = 1; ; failures++) {
    try {
      return await call();
    } catch (error) {
      const transient = !(error instanceof WorkflowsApiError) || error.status >= 500;
      // A query timing out (504) is an answer, not an outage; it is not retried here.
      if (!transient || failures > MAX_TRANSIENT_RETRIES || (error as WorkflowsApiError).code === ErrorCode.QueryTimedOut) throw error;
      await delay(Math.min(2000, 50 * 2 ** failures));
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (its timer cleared, so nothing is kept alive). */
function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
