import {
  CommandType,
  EventType,
  type Command,
  type HistoryEvent,
  type JsonValue,
} from '#workflows/protocol';
import { ActivityFailure } from '../errors/activity-failure.js';
import { fromFailure, toFailure } from '../errors/failure.converter.js';
import { NonDeterminismError } from '../errors/non-determinism.error.js';
import type { ResolvedActivityOptions } from '../options/retry-policy.js';
import type { WorkflowDefinition, WorkflowRegistry } from '../discovery/workflow-registry.js';
import { createActivityProxy } from './activity-proxy.js';
import { toJsonPayload } from './payload.js';
import { WorkflowContext, type WorkflowContextHost } from './workflow-context.js';
import type { WorkflowInfo } from './workflow-info.js';

interface PendingActivity {
  name: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * One execution's workflow instance and the state the replay machine drives: sequence
 * numbers for activities, the pending completions, and the buffer of commands produced since
 * the last drain. Only the worker's workflow executor creates it.
 */
export class WorkflowRun implements WorkflowContextHost {
  readonly context: WorkflowContext;
  private readonly pending = new Map<number, PendingActivity>();
  private commands: Command[] = [];
  private nextActivityId = 1;
  private closed = false;

  constructor(
    private readonly definition: WorkflowDefinition,
    private readonly registry: WorkflowRegistry,
    readonly info: WorkflowInfo,
  ) {
    this.context = new WorkflowContext(this);
  }

  /** Makes the instance and calls its `@Run()` method; the outcome becomes a closing command. */
  start(input: JsonValue | null): void {
    const args = this.definition.params.map((param) =>
      param.kind === 'context' ? this.context : createActivityProxy(this, param.provider, this.registry),
    );
    let outcome: Promise<unknown>;
    try {
      const instance = new this.definition.metatype(...args);
      outcome = Promise.resolve(instance[this.definition.runMethod](input));
    } catch (error) {
      outcome = Promise.reject(error);
    }
    outcome
      .then((result) => this.close({ type: CommandType.CompleteWorkflow, result: toJsonPayload(result, 'workflow result') }))
      .catch((error: unknown) => this.close({ type: CommandType.FailWorkflow, failure: toFailure(error) }));
  }

  /** Called by activity proxies: buffers a SCHEDULE_ACTIVITY command and returns its result. */
  scheduleActivity(name: string, args: unknown[], options: ResolvedActivityOptions): Promise<unknown> {
    // Code still running after the workflow returned schedules nothing: the run is closed.
    if (this.closed) return new Promise(() => undefined);
    const activityId = this.nextActivityId++;
    const input = toJsonPayload(args, `${name} arguments`) as JsonValue[];
    this.commands.push({
      type: CommandType.ScheduleActivity,
      activity_id: activityId,
      activity_name: name,
      input,
      start_to_close_timeout_ms: options.startToCloseTimeoutMs,
      schedule_to_start_timeout_ms: options.scheduleToStartTimeoutMs,
      schedule_to_close_timeout_ms: options.scheduleToCloseTimeoutMs,
      heartbeat_timeout_ms: options.heartbeatTimeoutMs,
      retry: options.retry,
    });
    const result = new Promise((resolve, reject) => this.pending.set(activityId, { name, resolve, reject }));
    // A failure the workflow has not awaited yet must not become an unhandled rejection; its own await still sees it.
    result.catch(() => undefined);
    return result;
  }

  /** Applies one resolution event from history: settles the promise the workflow awaits. */
  apply(event: HistoryEvent): void {
    if (event.event_type === EventType.ActivityTaskCompleted) {
      const pending = this.takePending(event.attributes.activity_id, event.event_id);
      pending.resolve(event.attributes.result);
    } else if (event.event_type === EventType.ActivityTaskFailed) {
      const { activity_id: activityId, failure } = event.attributes;
      const pending = this.takePending(activityId, event.event_id);
      pending.reject(new ActivityFailure(pending.name, activityId, failure, fromFailure(failure)));
    }
  }

  /** The commands produced since the last call. */
  takeCommands(): Command[] {
    const taken = this.commands;
    this.commands = [];
    return taken;
  }

  private takePending(activityId: number, eventId: number): PendingActivity {
    const pending = this.pending.get(activityId);
    if (!pending) {
      throw new NonDeterminismError(`History event ${eventId} resolves activity #${activityId}, which this run never scheduled`);
    }
    this.pending.delete(activityId);
    return pending;
  }

  private close(command: Command): void {
    if (this.closed) return;
    this.closed = true;
    this.commands.push(command);
  }
}
