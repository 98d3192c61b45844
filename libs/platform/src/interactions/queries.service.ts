import { Inject, Injectable } from '@nestjs/common';
import { ErrorCode, type Clock, type JsonValue, type QueryResponse } from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';
import { executionNotFound } from '../executions/execution.errors.js';
import { ExecutionWaiters } from '../matching/execution.waiters.js';
import { TransitionPublisher } from '../matching/transition.publisher.js';
import { CLOCK, STORE } from '../platform.constants.js';
import type { QueryAnswer, Store } from '../store/store.interface.js';
import { PayloadValidator } from '../validation/payload.validator.js';
import { QueryFailedError } from './query-failed.error.js';

/** A query as the service takes it. */
export interface QueryParams {
  name: string;
  input: JsonValue | null;
  timeoutSeconds: number;
}

/**
 * Queries: a query task is queued for the execution and offered to the polls of its workflow;
 * the request is held until a worker answers, the timeout passes (the task is abandoned: a late
 * answer changes nothing) or the client leaves. Nothing is recorded in history.
 */
@Injectable()
export class QueriesService {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly publisher: TransitionPublisher,
    private readonly waiters: ExecutionWaiters,
    private readonly validator: PayloadValidator,
  ) {}

  /**
   * The query handler's result. Its failure is `WF_QUERY_FAILED` (422) carrying it; no answer in
   * time is `WF_QUERY_TIMED_OUT` (504).
   */
  async query(namespace: string, executionId: string, query: QueryParams, signal?: AbortSignal): Promise<QueryResponse> {
    const execution = await this.store.getExecution(namespace, executionId);
    if (!execution) throw executionNotFound(executionId);
    await this.validator.checkHandler(namespace, execution, 'query', query.name, query.input);
    const timeoutMs = query.timeoutSeconds * 1000;
    const now = this.clock.now();
    const created = await this.store.createQueryTask({
      namespace,
      executionId,
      queryName: query.name,
      input: query.input,
      now,
      deadlineAt: now + timeoutMs,
    });
    this.publisher.publish(namespace, { tasks: [created.task] });

    let answer: QueryAnswer = { state: 'pending' };
    const end = await this.waiters.waitFor(namespace, executionId, signal ? { timeoutMs, signal } : { timeoutMs }, async () => {
      answer = await this.store.getQueryAnswer(namespace, created.taskId);
      return answer.state !== 'pending';
    });
    if (end !== 'ready') {
      await this.store.abandonQueryTask(namespace, created.taskId, this.clock.now());
      // An answer that landed just before the abandon still counts.
      answer = await this.store.getQueryAnswer(namespace, created.taskId);
    }
    if (answer.state === 'answered') {
      if (answer.failure) throw new QueryFailedError(query.name, answer.failure);
      return { result: answer.result };
    }
    throw new PlatformError(
      ErrorCode.QueryTimedOut,
      `no worker answered query '${query.name}' on execution '${executionId}' within ${query.timeoutSeconds} s; ` +
        `is a worker for workflow '${execution.workflowName}' running?`,
    );
  }
}
