import { Inject, Injectable } from '@nestjs/common';
import type { BatchItemWire, BatchResponse, Clock, ExecutionActionResponse, JsonValue } from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';
import { executionClosed, executionNotFound } from '../executions/execution.errors.js';
import { isClosed } from '../executions/execution.mapper.js';
import { TransitionPublisher } from '../matching/transition.publisher.js';
import { CLOCK, STORE } from '../platform.constants.js';
import type { ExecutionRecord, ExternalEventOutcome, Store } from '../store/store.interface.js';
import { PayloadValidator } from '../validation/payload.validator.js';

/** What a cancel or terminate request asks. */
export type ExecutionAction = 'cancel' | 'terminate';

/**
 * Signals, cancellation requests and terminations of running executions, one at a time or in
 * batches. Each is checked (execution known and running, signal defined, input valid) before
 * anything is recorded; the store checks again in its transaction, so that a close in between
 * still refuses it.
 */
@Injectable()
export class ExecutionActionsService {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly publisher: TransitionPublisher,
    private readonly validator: PayloadValidator,
  ) {}

  /** Delivers a signal: `WORKFLOW_EXECUTION_SIGNALED` and a workflow task to handle it. */
  async signal(namespace: string, executionId: string, name: string, input: JsonValue | null): Promise<ExecutionActionResponse> {
    const execution = await this.running(namespace, executionId, `signal '${name}'`);
    await this.validator.checkHandler(namespace, execution, 'signal', name, input);
    const outcome = await this.store.signalExecution({ namespace, executionId, signalName: name, input, now: this.clock.now() });
    return this.published(namespace, outcome);
  }

  /**
   * Asks the execution to cancel (its workflow code decides how), or terminates it at once: no
   * workflow code runs, its tasks are closed.
   */
  async act(namespace: string, executionId: string, action: ExecutionAction, reason: string | null): Promise<ExecutionActionResponse> {
    await this.running(namespace, executionId, action === 'cancel' ? 'cancellation' : 'termination');
    const params = { namespace, executionId, reason, now: this.clock.now() };
    const outcome = action === 'cancel' ? await this.store.requestCancelExecution(params) : await this.store.terminateExecution(params);
    return this.published(namespace, outcome);
  }

  /** {@link ExecutionActionsService.act} for each execution in turn: one result per id, in order. */
  async batch(namespace: string, executionIds: readonly string[], action: ExecutionAction, reason: string | null): Promise<BatchResponse> {
    const results: BatchItemWire[] = [];
    for (const executionId of executionIds) {
      try {
        await this.act(namespace, executionId, action, reason);
        results.push({ execution_id: executionId, ok: true });
      } catch (error) {
        if (!(error instanceof PlatformError)) throw error;
        results.push({ execution_id: executionId, ok: false, code: error.code, detail: error.detail });
      }
    }
    return { results };
  }

  private async running(namespace: string, executionId: string, what: string): Promise<ExecutionRecord> {
    const execution = await this.store.getExecution(namespace, executionId);
    if (!execution) throw executionNotFound(executionId);
    if (isClosed(execution)) throw executionClosed(execution, what);
    return execution;
  }

  private published(namespace: string, outcome: ExternalEventOutcome): ExecutionActionResponse {
    this.publisher.publish(namespace, outcome);
    return { execution_id: outcome.execution.executionId, run_id: outcome.execution.runId };
  }
}
