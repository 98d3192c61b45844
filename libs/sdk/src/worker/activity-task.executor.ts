import { Injectable, type Type } from '@nestjs/common';
import { ContextIdFactory, ModuleRef } from '@nestjs/core';
import { Limits, type ActivityTaskWire, type Failure, type JsonValue } from '#workflows/protocol';
import { ActivityContext } from '../activity/activity-context.js';
import { ApplicationFailure } from '../errors/application-failure.js';
import { toFailure } from '../errors/failure.converter.js';
import { WorkflowRegistry } from '../discovery/workflow-registry.js';
import { PayloadSerializationError, toJsonPayload } from '../runtime/payload.js';

/** Largest result recorded: the request limit less room for the rest of the completion. */
const MAX_RESULT_BYTES = Limits.maxRequestBytes - 64 * 1024;

/** The outcome of one activity attempt. */
export type ActivityOutcome = { result: JsonValue } | { failure: Failure };

/**
 * Runs one activity task: resolves its provider in a DI scope of the task (where
 * `ActivityContext` is injectable), calls the method, and serializes the outcome.
 */
@Injectable()
export class ActivityTaskExecutor {
  private readonly staticInstances = new Map<Type, object>();

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly registry: WorkflowRegistry,
  ) {}

  /**
   * Runs the attempt; never throws: a failure is an outcome. `signal` stops the attempt,
   * `heartbeat` receives `ActivityContext.heartbeat()` calls.
   */
  async execute(task: ActivityTaskWire, signal: AbortSignal, heartbeat?: (details: unknown) => void): Promise<ActivityOutcome> {
    const definition = this.registry.activities.get(task.activity_name);
    if (!definition) {
      return {
        failure: toFailure(
          ApplicationFailure.nonRetryable(`This worker has no activity named '${task.activity_name}'`, 'ActivityNotRegistered'),
        ),
      };
    }
    try {
      const context = new ActivityContext(
        {
          activityName: task.activity_name,
          activityId: task.activity_id,
          executionId: task.execution_id,
          runId: task.run_id,
          workflowName: task.workflow_name,
          attempt: task.attempt,
          startToCloseTimeoutMs: task.start_to_close_timeout_ms,
          heartbeatTimeoutMs: task.heartbeat_timeout_ms,
          heartbeatDetails: task.heartbeat_details,
        },
        signal,
        heartbeat,
      );
      const instance = (await this.instanceFor(definition.provider, definition.isStatic, context)) as Record<string, unknown>;
      const method = instance[definition.methodName] as (...args: unknown[]) => unknown;
      const result = toJsonPayload(await method.apply(instance, task.input), `${task.activity_name} result`);
      const bytes = Buffer.byteLength(JSON.stringify(result));
      if (bytes > MAX_RESULT_BYTES) {
        const message = `${task.activity_name} result is ${bytes} bytes; the limit is ${MAX_RESULT_BYTES}`;
        return { failure: toFailure(ApplicationFailure.nonRetryable(message, 'PayloadTooLarge')) };
      }
      return { result };
    } catch (error) {
      if (error instanceof PayloadSerializationError) {
        return { failure: toFailure(ApplicationFailure.nonRetryable(error.message, 'PayloadSerializationError')) };
      }
      return { failure: toFailure(error) };
    }
  }

  private async instanceFor(provider: Type, isStatic: boolean, context: ActivityContext): Promise<object> {
    if (isStatic) {
      let instance = this.staticInstances.get(provider);
      if (!instance) {
        instance = this.moduleRef.get(provider, { strict: false }) as object;
        this.staticInstances.set(provider, instance);
      }
      return instance;
    }
    const contextId = ContextIdFactory.create();
    this.moduleRef.registerRequestByContextId(context, contextId);
    return this.moduleRef.resolve(provider, contextId, { strict: false });
  }
}
