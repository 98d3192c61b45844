import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ErrorCode, ExecutionStatus, type Clock, type JsonValue, type UpdateResponse } from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';
import { executionClosed, executionNotFound } from '../executions/execution.errors.js';
import { isClosed } from '../executions/execution.mapper.js';
import { ExecutionWaiters } from '../matching/execution.waiters.js';
import { TransitionPublisher } from '../matching/transition.publisher.js';
import { CLOCK, STORE } from '../platform.constants.js';
import type { Store, UpdateOutcome } from '../store/store.interface.js';
import { PayloadValidator } from '../validation/payload.validator.js';

/** An update as the service takes it. */
export interface UpdateParams {
  name: string;
  input: JsonValue | null;
  /** Generated when absent. */
  updateId?: string;
  /** 0 answers as soon as the update is accepted. */
  timeoutSeconds: number;
}

/**
 * Updates: accepted into the execution's history (`WORKFLOW_EXECUTION_UPDATE_ACCEPTED`), run by
 * the workflow, completed by its `COMPLETE_UPDATE` command. The request is held until the update
 * completes or the wait ends (`ACCEPTED`: ask again with the same `update_id`); a repeated
 * `update_id` waits for the same update rather than running it again.
 */
@Injectable()
export class UpdatesService {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly publisher: TransitionPublisher,
    private readonly waiters: ExecutionWaiters,
    private readonly validator: PayloadValidator,
  ) {}

  /**
   * Accepts the update and waits for its outcome. `WF_EXECUTION_CLOSED` when the execution is
   * closed, or closes before the update completes.
   */
  async update(namespace: string, executionId: string, update: UpdateParams, signal?: AbortSignal): Promise<UpdateResponse> {
    const execution = await this.store.getExecution(namespace, executionId);
    if (!execution) throw executionNotFound(executionId);
    // Without an id it cannot be one accepted before: a closed execution refuses it now.
    if (isClosed(execution) && update.updateId === undefined) throw executionClosed(execution, `update '${update.name}'`);
    await this.validator.checkHandler(namespace, execution, 'update', update.name, update.input);
    const updateId = update.updateId ?? randomUUID();
    const accepted = await this.store.acceptUpdate({
      namespace,
      executionId,
      updateId,
      updateName: update.name,
      input: update.input,
      now: this.clock.now(),
    });
    this.publisher.publish(namespace, accepted);

    let outcome: UpdateOutcome | null = null;
    const timeoutMs = update.timeoutSeconds * 1000;
    await this.waiters.waitFor(namespace, executionId, signal ? { timeoutMs, signal } : { timeoutMs }, async () => {
      outcome = await this.store.getUpdateOutcome(namespace, executionId, updateId);
      return outcome === null || outcome.stage === 'completed' || outcome.executionStatus !== ExecutionStatus.Running;
    });
    const last = outcome as UpdateOutcome | null;
    if (last === null) throw new PlatformError(ErrorCode.UpdateNotFound, `update '${updateId}' of execution '${executionId}' not found`);
    if (last.stage === 'completed') return { update_id: updateId, stage: 'COMPLETED', result: last.result, failure: last.failure };
    if (last.executionStatus !== ExecutionStatus.Running) {
      throw new PlatformError(
        ErrorCode.ExecutionClosed,
        `execution '${executionId}' closed (${last.executionStatus}) before update '${update.name}' (update_id ${updateId}) completed`,
      );
    }
    return { update_id: updateId, stage: 'ACCEPTED', result: null, failure: null };
  }
}
