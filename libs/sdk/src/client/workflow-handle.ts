import { ExecutionStatus, type ExecutionWire, type HistoryEvent } from '#workflows/protocol';
import { fromFailure } from '../errors/failure.converter.js';
import { WorkflowFailedError } from '../errors/workflow-failed.error.js';
import { WorkflowsApiError } from '../errors/workflows-api.error.js';
import type { PlatformTransport } from '../transport/platform-transport.js';

/** How long one long-poll for a result is held by the platform. */
const RESULT_POLL_SECONDS = 30;
/** Consecutive failed waits (platform unreachable or 5xx) before `result()` gives up, about a minute. */
const MAX_RESULT_RETRIES = 40;

/** A handle on one execution, from `WorkflowsClient.start()` or `getHandle()`. */
export class WorkflowHandle<TResult = unknown> {
  constructor(
    private readonly transport: PlatformTransport,
    /** The execution's id. */
    readonly executionId: string,
  ) {}

  /** The execution object as the platform has it now. */
  describe(): Promise<ExecutionWire> {
    return this.transport.getExecution(this.executionId);
  }

  /**
   * Waits until the execution closes and returns its result; throws `WorkflowFailedError`
   * (whose `cause` is the workflow's error) when it did not complete.
   */
  async result(): Promise<TResult> {
    let failures = 0;
    for (;;) {
      let execution: ExecutionWire;
      try {
        execution = await this.transport.getExecution(this.executionId, RESULT_POLL_SECONDS);
      } catch (error) {
        // A restarting or briefly unreachable platform does not end the wait; an answer such as 404 does.
        const transient = !(error instanceof WorkflowsApiError) || error.status >= 500;
        if (!transient || ++failures > MAX_RESULT_RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** failures)));
        continue;
      }
      failures = 0;
      if (execution.status !== ExecutionStatus.Running) return resultOf<TResult>(execution);
    }
  }

  /** Every event of the execution's history, in order. */
  async history(): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let token: string | undefined;
    do {
      const page = await this.transport.getHistory(this.executionId, token);
      events.push(...page.events);
      token = page.next_page_token ?? undefined;
    } while (token);
    return events;
  }
}

/** The result of a closed execution, or the typed error it ended with. */
export function resultOf<TResult>(execution: ExecutionWire): TResult {
  if (execution.status === ExecutionStatus.Completed) return execution.result as TResult;
  throw new WorkflowFailedError(execution, execution.failure, execution.failure ? fromFailure(execution.failure) : undefined);
}
