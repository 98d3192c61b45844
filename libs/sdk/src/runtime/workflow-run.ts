import {
  CommandType,
  EventType,
  ParentClosePolicy,
  idProblem,
  toMilliseconds,
  type Command,
  type Duration,
  type HistoryEvent,
  type JsonValue,
} from '#workflows/protocol';
import { ActivityFailure } from '../errors/activity-failure.js';
import { ApplicationFailure } from '../errors/application-failure.js';
import { CancelledFailure } from '../errors/cancelled-failure.js';
import { ChildWorkflowFailure, StartChildWorkflowFailure } from '../errors/child-workflow-failure.js';
import { ContinueAsNew } from '../errors/continue-as-new.js';
import { fromFailure, toFailure } from '../errors/failure.converter.js';
import { NonDeterminismError } from '../errors/non-determinism.error.js';
import type { HandlerKind } from '../decorators/handler.decorators.js';
import type { ResolvedActivityOptions } from '../options/retry-policy.js';
import type { WorkflowDefinition, WorkflowRegistry } from '../discovery/workflow-registry.js';
import { createActivityProxy } from './activity-proxy.js';
import { LOCAL_ACTIVITY_MARKER, type LocalActivityCall, type LocalActivityMarkerDetails, type LocalActivityOutcome } from './local-activity.js';
import { ChildWorkflowHandle, type ChildWorkflowOptions } from './child-workflow.handle.js';
import { toJsonPayload } from './payload.js';
import { WorkflowContext, type WorkflowContextHost } from './workflow-context.js';
import type { WorkflowInfo, WorkflowInfoInit } from './workflow-info.js';

/** A promise the workflow awaits, settled by a history event (or by a cancellation). */
interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface PendingActivity extends Pending {
  name: string;
}

/** A child workflow the run started: its start, then its end, settle what the workflow awaits. */
interface PendingChild {
  workflowName: string;
  executionId: string;
  start: Pending;
  result: Pending;
  outcome: Promise<unknown>;
  started: boolean;
  cancelRequested: boolean;
  /** The execution was asked to cancel before the child's start was applied: it is asked to cancel once it starts. */
  cancelOnStart: boolean;
}

/** Why a child's id option cannot be sent (the platform's id rules), or `null`. */
function optionProblem(name: string, value: unknown): string | null {
  const problem = idProblem(value);
  return problem ? `${name} ${problem}` : null;
}

/** The parent close policies a child may name. */
const PARENT_CLOSE_POLICIES: readonly string[] = Object.values(ParentClosePolicy);

/** A `condition()` the workflow waits on, and the timer of its timeout, if any. */
interface PendingCondition {
  predicate: () => boolean;
  resolve: (satisfied: boolean) => void;
  reject: (error: Error) => void;
  timerId: number | null;
}

/** The marker names of the deterministic helpers. */
export const SIDE_EFFECT_MARKER = 'side_effect';
export const PATCH_MARKER = 'patch';

/**
 * A small, fast generator (sfc32) seeded from a string's FNV-1a hashes: the same run id gives the
 * same sequence on every worker and every replay.
 */
function seededRandom(seed: string): () => number {
  const hash = (salt: number): number => {
    let h = (0x811c9dc5 ^ salt) >>> 0;
    for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0;
    return h;
  };
  let a = hash(1);
  let b = hash(2);
  let c = hash(3);
  let d = hash(4);
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** A never-settling promise: what work started after the run closed gets. */
const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/**
 * One execution's workflow instance and the state the replay machine drives: sequence numbers
 * for activities and timers, the pending promises, the conditions, and the buffer of commands
 * produced since the last drain. Only the worker's executors (and `replayHistory`) create it.
 */
export class WorkflowRun implements WorkflowContextHost {
  readonly context: WorkflowContext;
  /** What the workflow knows of its execution; renewed at each workflow task of a run held in memory. */
  info: WorkflowInfo;
  private instance: Record<string | symbol, (...args: unknown[]) => unknown> | null = null;
  private readonly activities = new Map<number, PendingActivity>();
  /** Local activities the workflow awaits: called, not yet resolved by the worker (or by their recorded markers on replay). */
  private readonly localActivities = new Map<number, PendingActivity & { call: LocalActivityCall }>();
  /** Local activities called since the last {@link takeLocalCalls}. */
  private localCalls: LocalActivityCall[] = [];
  private readonly timers = new Map<number, Pending>();
  private readonly conditions = new Set<PendingCondition>();
  private readonly children = new Map<number, PendingChild>();
  private nextChildId = 1;
  /** Activities and timers the workflow stopped waiting for: their late events are ignored. */
  private readonly abandonedActivities = new Set<number>();
  private readonly abandonedTimers = new Set<number>();
  private commands: Command[] = [];
  private nextActivityId = 1;
  private nextTimerId = 1;
  private closed = false;
  private cancelReason: string | null = null;
  private cancelRequested = false;
  /** Workflow time: the timestamp of the last event the current workflow task had seen. */
  private currentTime = 0;
  private random: () => number;
  private nextSideEffectSeq = 1;
  /** Side-effect values recorded in history, by sequence number. */
  private readonly recordedSideEffects = new Map<number, JsonValue>();
  /** Patch ids with a marker anywhere in history. */
  private readonly recordedPatches = new Set<string>();
  /** Each patch's answer, fixed at its first call in the run. */
  private readonly patches = new Map<string, boolean>();
  /** True while replaying workflow tasks history already records; false while producing new commands. */
  private replaying = false;

  constructor(
    private readonly definition: WorkflowDefinition,
    private readonly registry: WorkflowRegistry,
    info: WorkflowInfoInit,
  ) {
    this.info = { historyLength: 0, continueAsNewSuggested: false, parentExecutionId: null, rootExecutionId: info.executionId, ...info };
    this.context = new WorkflowContext(this);
    this.random = seededRandom(info.runId);
  }

  /**
   * Reads what history recorded for the deterministic helpers (side-effect values, patches
   * taken), before the run starts. Called once by the replayer with the whole history.
   */
  loadMarkers(history: readonly HistoryEvent[]): void {
    for (const event of history) {
      if (event.event_type !== EventType.MarkerRecorded) continue;
      const details = event.attributes.details as { seq?: unknown; value?: JsonValue; patch_id?: unknown } | null;
      if (event.attributes.marker_name === SIDE_EFFECT_MARKER && typeof details?.seq === 'number') {
        this.recordedSideEffects.set(details.seq, details.value ?? null);
      } else if (event.attributes.marker_name === PATCH_MARKER && typeof details?.patch_id === 'string') {
        this.recordedPatches.add(details.patch_id);
      }
    }
  }

  /** Sets workflow time and whether the events being applied replay a task history already records (the replayer's call). */
  advance(time: number, replaying: boolean): void {
    this.currentTime = Math.max(this.currentTime, time);
    this.replaying = replaying;
  }

  /** `ctx.now()`: workflow time, the same on every replay. */
  now(): Date {
    return new Date(this.currentTime);
  }

  /** `ctx.random()`: a number in [0, 1) from a generator seeded by the run id; the same sequence on every replay. */
  nextRandom(): number {
    return this.random();
  }

  /**
   * `ctx.sideEffect(fn)`: runs `fn` once and records its value (`MARKER_RECORDED`); a replay
   * returns the recorded value without running it.
   */
  sideEffect<T>(fn: () => T): T {
    const seq = this.nextSideEffectSeq++;
    let value: JsonValue;
    if (this.recordedSideEffects.has(seq)) {
      value = this.recordedSideEffects.get(seq)!;
    } else {
      const produced = fn();
      if (produced instanceof Promise) {
        throw new TypeError('sideEffect() takes a synchronous function; do I/O in an activity');
      }
      value = toJsonPayload(produced, `side effect #${seq}`);
    }
    if (!this.closed) this.commands.push({ type: CommandType.RecordMarker, marker_name: SIDE_EFFECT_MARKER, details: { seq, value } });
    return value as T;
  }

  /**
   * `ctx.patched(id)`: whether this run takes the new code path of a change. Runs that passed this
   * point before the change (replaying without its marker) get `false`; every other run records
   * the marker and gets `true`. The answer is fixed at the first call in a run.
   */
  patched(patchId: string, deprecated = false): boolean {
    const known = this.patches.get(patchId);
    if (known !== undefined) return known;
    const taken = this.recordedPatches.has(patchId) || !this.replaying;
    this.patches.set(patchId, taken);
    if (taken && !this.closed) {
      this.commands.push({ type: CommandType.RecordMarker, marker_name: PATCH_MARKER, details: { patch_id: patchId, deprecated } });
    }
    return taken;
  }

  /** Whether the execution was asked to cancel. */
  get cancellationRequested(): boolean {
    return this.cancelRequested;
  }

  /** Makes the instance and calls its `@Run()` method; the outcome becomes a closing command. */
  start(input: JsonValue | null): void {
    const args = this.definition.params.map((param) =>
      param.kind === 'context' ? this.context : createActivityProxy(this, param.provider, this.registry),
    );
    let outcome: Promise<unknown>;
    try {
      this.instance = new this.definition.metatype(...args);
      outcome = Promise.resolve(this.instance![this.definition.runMethod]!(input));
    } catch (error) {
      outcome = Promise.reject(error);
    }
    outcome.then(
      (result) => this.closeWith(() => ({ type: CommandType.CompleteWorkflow, result: toJsonPayload(result, 'workflow result') })),
      (error: unknown) => this.closeWith(() => this.closingCommandFor(error)),
    );
  }

  /** Called by activity proxies: buffers a SCHEDULE_ACTIVITY command and returns its result. */
  scheduleActivity(name: string, args: unknown[], options: ResolvedActivityOptions): Promise<unknown> {
    // Code still running after the workflow returned schedules nothing: the run is closed.
    if (this.closed) return never();
    const activityId = this.nextActivityId++;
    const input = toJsonPayload(args, `${name} arguments`) as JsonValue[];
    const call: LocalActivityCall = {
      activity_id: activityId,
      activity_name: name,
      input,
      start_to_close_timeout_ms: options.startToCloseTimeoutMs,
      schedule_to_start_timeout_ms: options.scheduleToStartTimeoutMs,
      schedule_to_close_timeout_ms: options.scheduleToCloseTimeoutMs,
      heartbeat_timeout_ms: options.heartbeatTimeoutMs,
      retry: options.retry,
    };
    if (options.local) {
      // Run by the worker before this workflow task completes; its outcome is recorded as a marker.
      this.localCalls.push(call);
      return this.track(new Promise((resolve, reject) => this.localActivities.set(activityId, { name, resolve, reject, call })));
    }
    this.commands.push({ type: CommandType.ScheduleActivity, ...call });
    return this.track(new Promise((resolve, reject) => this.activities.set(activityId, { name, resolve, reject })));
  }

  /** The local activities called since the last call: the worker runs them, then {@link resolveLocal} gives their outcomes. */
  takeLocalCalls(): LocalActivityCall[] {
    const taken = this.localCalls;
    this.localCalls = [];
    // A closed run records nothing more: what it called is not run.
    if (this.closed) {
      for (const call of taken) this.localActivities.delete(call.activity_id);
      return [];
    }
    return taken;
  }

  /**
   * Settles local activities, in the order given: each result or failure is recorded
   * (`MARKER_RECORDED` local_activity) and settles what the workflow awaits; a fallback schedules
   * the activity as an ordinary one (same id) whose events settle it later.
   */
  resolveLocal(outcomes: readonly LocalActivityOutcome[]): void {
    for (const outcome of outcomes) {
      const pending = this.localActivities.get(outcome.activity_id);
      if (!pending) throw new Error(`Local activity #${outcome.activity_id} is not awaited by this run`);
      this.localActivities.delete(outcome.activity_id);
      if (this.closed) continue;
      const { call } = pending;
      if ('fallback' in outcome) {
        this.commands.push({ type: CommandType.ScheduleActivity, ...call, retry: outcome.fallback.retry });
        this.activities.set(call.activity_id, pending);
        continue;
      }
      const details: LocalActivityMarkerDetails = { activity_id: call.activity_id, activity_name: call.activity_name, attempts: outcome.attempts };
      if ('result' in outcome) details.result = outcome.result;
      else details.failure = outcome.failure;
      this.commands.push({ type: CommandType.RecordMarker, marker_name: LOCAL_ACTIVITY_MARKER, details: details as unknown as JsonValue });
      if ('result' in outcome) pending.resolve(outcome.result);
      else pending.reject(new ActivityFailure(call.activity_name, call.activity_id, outcome.failure, fromFailure(outcome.failure)));
    }
  }

  /**
   * `ctx.startChild()`: buffers a START_CHILD_WORKFLOW command; resolves with the child's handle
   * once the platform started it, rejects with {@link StartChildWorkflowFailure} when it could not.
   */
  startChild(workflowName: string, options: ChildWorkflowOptions): Promise<ChildWorkflowHandle> {
    if (this.closed) return never();
    const policy = options.parentClosePolicy ?? ParentClosePolicy.Terminate;
    if (!PARENT_CLOSE_POLICIES.includes(policy)) {
      return Promise.reject(new TypeError(`parentClosePolicy must be one of ${PARENT_CLOSE_POLICIES.join(', ')}, got '${String(policy)}'`));
    }
    const problem =
      (options.executionId === undefined ? null : optionProblem('executionId', options.executionId)) ??
      (options.deploymentName === undefined ? null : optionProblem('deploymentName', options.deploymentName));
    if (problem) return Promise.reject(new TypeError(`startChild(${workflowName}): ${problem}`));
    const childId = this.nextChildId++;
    const executionId = options.executionId ?? `${this.info.runId}-child-${childId}`;
    let input: JsonValue;
    try {
      input = toJsonPayload(options.input, `child workflow ${workflowName} input`);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    this.commands.push({
      type: CommandType.StartChildWorkflow,
      child_id: childId,
      workflow_name: workflowName,
      execution_id: executionId,
      input,
      parent_close_policy: policy,
      ...(options.deploymentName === undefined ? {} : { deployment_name: options.deploymentName }),
    });
    let start!: Pending;
    let result!: Pending;
    const started = this.track(new Promise<ChildWorkflowHandle>((resolve, reject) => (start = { resolve: resolve as (value: unknown) => void, reject })));
    const outcome = this.track(new Promise<unknown>((resolve, reject) => (result = { resolve, reject })));
    this.children.set(childId, { workflowName, executionId, start, result, outcome, started: false, cancelRequested: false, cancelOnStart: false });
    return started;
  }

  /** `handle.cancel()` of a child: buffers REQUEST_CANCEL_CHILD_WORKFLOW, once, while the child runs. */
  private cancelChild(childId: number): void {
    const child = this.children.get(childId);
    if (!child || !child.started || child.cancelRequested || this.closed) return;
    child.cancelRequested = true;
    this.commands.push({ type: CommandType.RequestCancelChildWorkflow, child_id: childId });
  }

  /** `ctx.sleep()`: a durable timer; resolves when the platform fires it. */
  sleep(duration: Duration): Promise<void> {
    const ms = toMilliseconds(duration, 'sleep duration');
    if (this.closed) return never();
    if (ms < 1) return Promise.resolve();
    const timerId = this.startTimer(ms);
    return this.track(new Promise<void>((resolve, reject) => this.timers.set(timerId, { resolve: () => resolve(), reject })));
  }

  /**
   * `ctx.condition()`: resolves `true` once `predicate` holds (checked after every change), or
   * `false` when the timeout's timer fires first.
   */
  condition(predicate: () => boolean, timeout?: Duration): Promise<boolean> {
    const timeoutMs = timeout === undefined ? null : toMilliseconds(timeout, 'condition timeout');
    if (this.closed) return never();
    if (predicate()) return Promise.resolve(true);
    if (timeoutMs !== null && timeoutMs < 1) return Promise.resolve(false);
    return this.track(
      new Promise<boolean>((resolve, reject) => {
        const condition: PendingCondition = { predicate, resolve, reject, timerId: null };
        if (timeoutMs !== null) {
          const timerId = this.startTimer(timeoutMs);
          condition.timerId = timerId;
          this.timers.set(timerId, {
            resolve: () => {
              this.conditions.delete(condition);
              resolve(false);
            },
            reject,
          });
        }
        this.conditions.add(condition);
      }),
    );
  }

  /**
   * Resolves every condition whose predicate now holds (cancelling its timeout's timer). Returns
   * whether any did: the workflow then runs on, and may satisfy others.
   */
  checkConditions(): boolean {
    let satisfied = false;
    for (const condition of [...this.conditions]) {
      let holds: boolean;
      try {
        holds = condition.predicate();
      } catch (error) {
        this.conditions.delete(condition);
        if (condition.timerId !== null) this.cancelTimer(condition.timerId);
        condition.reject(error as Error);
        satisfied = true;
        continue;
      }
      if (!holds) continue;
      this.conditions.delete(condition);
      if (condition.timerId !== null) this.cancelTimer(condition.timerId);
      condition.resolve(true);
      satisfied = true;
    }
    return satisfied;
  }

  /** Applies one resolution event from history, in order. */
  apply(event: HistoryEvent): void {
    switch (event.event_type) {
      case EventType.ActivityTaskCompleted: {
        const pending = this.takeActivity(event.attributes.activity_id, event.event_id);
        pending?.resolve(event.attributes.result);
        return;
      }
      case EventType.ActivityTaskFailed: {
        const { activity_id: activityId, failure } = event.attributes;
        const pending = this.takeActivity(activityId, event.event_id);
        pending?.reject(new ActivityFailure(pending.name, activityId, failure, fromFailure(failure)));
        return;
      }
      case EventType.ActivityTaskCanceled: {
        const { activity_id: activityId } = event.attributes;
        const pending = this.takeActivity(activityId, event.event_id);
        pending?.reject(new CancelledFailure(`Activity ${pending.name} #${activityId} was cancelled`, this.cancelReason));
        return;
      }
      case EventType.TimerFired: {
        const timerId = event.attributes.timer_id;
        if (this.abandonedTimers.delete(timerId)) return;
        const pending = this.timers.get(timerId);
        if (!pending) throw new NonDeterminismError(`History event ${event.event_id} fires timer #${timerId}, which this run never started`);
        this.timers.delete(timerId);
        pending.resolve(undefined);
        return;
      }
      case EventType.WorkflowExecutionSignaled:
        this.deliverSignal(event.attributes.signal_name, event.attributes.input);
        return;
      case EventType.WorkflowExecutionCancelRequested:
        this.requestCancel(event.attributes.reason);
        return;
      case EventType.WorkflowExecutionUpdateAccepted:
        this.runUpdate(event.attributes.update_id, event.attributes.update_name, event.attributes.input);
        return;
      case EventType.ChildWorkflowExecutionStarted: {
        const { child_id: childId, run_id: runId } = event.attributes;
        const child = this.childOf(childId, event.event_id);
        child.started = true;
        if (child.cancelOnStart) this.cancelChild(childId);
        child.start.resolve(new ChildWorkflowHandle(child.executionId, runId, child.outcome, () => this.cancelChild(childId)));
        return;
      }
      case EventType.StartChildWorkflowExecutionFailed: {
        const child = this.takeChild(event.attributes.child_id, event.event_id);
        child.start.reject(new StartChildWorkflowFailure(child.workflowName, child.executionId, event.attributes.failure));
        return;
      }
      case EventType.ChildWorkflowExecutionCompleted:
        this.takeChild(event.attributes.child_id, event.event_id).result.resolve(event.attributes.result);
        return;
      case EventType.ChildWorkflowExecutionFailed: {
        const child = this.takeChild(event.attributes.child_id, event.event_id);
        child.result.reject(new ChildWorkflowFailure(child.workflowName, child.executionId, 'FAILED', fromFailure(event.attributes.failure)));
        return;
      }
      case EventType.ChildWorkflowExecutionCanceled: {
        const child = this.takeChild(event.attributes.child_id, event.event_id);
        const reason = event.attributes.reason;
        const cause = new CancelledFailure(`Child workflow ${child.workflowName} was cancelled${reason ? `: ${reason}` : ''}`, reason);
        child.result.reject(new ChildWorkflowFailure(child.workflowName, child.executionId, 'CANCELED', cause));
        return;
      }
      case EventType.ChildWorkflowExecutionTerminated: {
        const child = this.takeChild(event.attributes.child_id, event.event_id);
        const cause = ApplicationFailure.nonRetryable(event.attributes.reason ?? 'The child workflow was terminated', 'Terminated');
        child.result.reject(new ChildWorkflowFailure(child.workflowName, child.executionId, 'TERMINATED', cause));
        return;
      }
      default:
        return;
    }
  }

  /** The child a history event names; a non-determinism error when the run never started it. */
  private childOf(childId: number, eventId: number): PendingChild {
    const child = this.children.get(childId);
    if (!child) throw new NonDeterminismError(`History event ${eventId} resolves child workflow #${childId}, which this run never started`);
    return child;
  }

  /** The child a history event ends, forgotten by the run from then on. */
  private takeChild(childId: number, eventId: number): PendingChild {
    const child = this.childOf(childId, eventId);
    this.children.delete(childId);
    return child;
  }

  /** Calls a `@Query()` handler against the current state; its result as JSON. */
  async query(name: string, input: JsonValue | null): Promise<JsonValue> {
    const handler = this.handler('query', name);
    const before = this.commands.length + this.localCalls.length;
    const unanswered = Symbol('unanswered');
    // Nothing settles what a query awaits (no event is applied while it runs): it answers once its microtasks ran, or never.
    const result = await Promise.race([
      Promise.resolve(handler(input)),
      new Promise<typeof unanswered>((resolve) => setImmediate(() => resolve(unanswered))),
    ]);
    if (this.commands.length + this.localCalls.length !== before) {
      throw ApplicationFailure.nonRetryable(
        `Query '${name}' of workflow '${this.definition.name}' scheduled work; query handlers must only read the workflow's state`,
        'QueryNotReadOnly',
      );
    }
    if (result === unanswered) {
      throw ApplicationFailure.nonRetryable(
        `Query '${name}' of workflow '${this.definition.name}' did not answer: it waits on something only a later event settles; query handlers must only read the workflow's state`,
        'QueryNotReadOnly',
      );
    }
    return toJsonPayload(result, `query '${name}' result`);
  }

  /** The commands produced since the last call. */
  takeCommands(): Command[] {
    const taken = this.commands;
    this.commands = [];
    return taken;
  }

  /** Whether the run has produced its closing command. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * The cancellation request: every activity, timer and condition the workflow awaits rejects
   * with a {@link CancelledFailure} (activities are asked to stop, timers cancelled), once;
   * running children are asked to cancel, and their results settle when they end.
   * What the workflow starts afterwards runs normally, so that it can clean up.
   */
  private requestCancel(reason: string | null): void {
    if (this.cancelRequested || this.closed) return;
    this.cancelRequested = true;
    this.cancelReason = reason;
    const because = reason ? `: ${reason}` : '';
    for (const [activityId, pending] of [...this.activities]) {
      this.activities.delete(activityId);
      this.abandonedActivities.add(activityId);
      this.commands.push({ type: CommandType.RequestCancelActivity, activity_id: activityId });
      pending.reject(new CancelledFailure(`Activity ${pending.name} #${activityId} was cancelled${because}`, reason));
    }
    for (const [timerId, pending] of [...this.timers]) {
      this.cancelTimer(timerId);
      pending.reject(new CancelledFailure(`The workflow was cancelled${because}`, reason));
    }
    for (const condition of [...this.conditions]) {
      this.conditions.delete(condition);
      condition.reject(new CancelledFailure(`The workflow was cancelled${because}`, reason));
    }
    // Running children are asked to cancel too (those still starting, once they start); what the
    // workflow awaits of them settles when they end.
    for (const [childId, child] of this.children) {
      if (child.started) this.cancelChild(childId);
      else child.cancelOnStart = true;
    }
  }

  private deliverSignal(name: string, input: JsonValue | null): void {
    if (this.closed) return;
    let handler: (input: JsonValue | null) => unknown;
    try {
      handler = this.handler('signal', name);
    } catch {
      // The platform only accepts registered names; code that dropped the handler since ignores it.
      return;
    }
    try {
      const outcome = handler(input);
      if (outcome instanceof Promise) outcome.catch((error: unknown) => this.failFromHandler(error));
    } catch (error) {
      this.failFromHandler(error);
    }
  }

  private runUpdate(updateId: string, name: string, input: JsonValue | null): void {
    if (this.closed) return;
    const complete = (result: JsonValue | null, failure: ReturnType<typeof toFailure> | null) => {
      if (!this.closed) this.commands.push({ type: CommandType.CompleteUpdate, update_id: updateId, result, failure });
    };
    let outcome: Promise<unknown>;
    try {
      outcome = Promise.resolve(this.handler('update', name)(input));
    } catch (error) {
      outcome = Promise.reject(error);
    }
    outcome.then(
      (result) => {
        try {
          complete(toJsonPayload(result, `update '${name}' result`), null);
        } catch (error) {
          complete(null, toFailure(error));
        }
      },
      (error: unknown) => complete(null, toFailure(error)),
    );
  }

  /** The bound handler method of `kind` named `name`; a named error when the workflow has none. */
  private handler(kind: HandlerKind, name: string): (input: JsonValue | null) => unknown {
    const definition = this.definition.handlers[kind].get(name);
    if (!definition || !this.instance) {
      throw ApplicationFailure.nonRetryable(`Workflow '${this.definition.name}' has no ${kind} handler named '${name}'`, `Unknown${kind[0]!.toUpperCase()}${kind.slice(1)}`);
    }
    const method = this.instance[definition.method]!;
    return (input) => method.call(this.instance, input);
  }

  /** A signal handler threw: the workflow fails with that error, as if its `@Run()` had. */
  private failFromHandler(error: unknown): void {
    this.closeWith(() => ({ type: CommandType.FailWorkflow, failure: toFailure(error) }));
  }

  private startTimer(durationMs: number): number {
    const timerId = this.nextTimerId++;
    this.commands.push({ type: CommandType.StartTimer, timer_id: timerId, duration_ms: durationMs });
    return timerId;
  }

  private cancelTimer(timerId: number): void {
    this.timers.delete(timerId);
    this.abandonedTimers.add(timerId);
    this.commands.push({ type: CommandType.CancelTimer, timer_id: timerId });
  }

  /** A failure the workflow has not awaited yet must not become an unhandled rejection; its own await still sees it. */
  private track<T>(promise: Promise<T>): Promise<T> {
    promise.catch(() => undefined);
    return promise;
  }

  private takeActivity(activityId: number, eventId: number): PendingActivity | null {
    if (this.abandonedActivities.has(activityId)) return null;
    const pending = this.activities.get(activityId);
    if (!pending) {
      throw new NonDeterminismError(`History event ${eventId} resolves activity #${activityId}, which this run never scheduled`);
    }
    this.activities.delete(activityId);
    return pending;
  }

  /**
   * How an error escaping `@Run()` closes the run: a cancellation that was requested (or a child's
   * cancellation it caused) cancels it, anything else fails it.
   */
  private closingCommandFor(error: unknown): Command {
    if (error instanceof ContinueAsNew) {
      const workflowName = error.workflowName ?? this.info.workflowName;
      return workflowName === this.info.workflowName
        ? { type: CommandType.ContinueAsNew, input: error.input }
        : { type: CommandType.ContinueAsNew, input: error.input, workflow_name: workflowName };
    }
    // A child that ended cancelled because this execution was is part of the same cancellation.
    const cancellation = error instanceof CancelledFailure || (error instanceof ChildWorkflowFailure && error.cause instanceof CancelledFailure);
    if (cancellation && this.cancelRequested) {
      return { type: CommandType.CancelWorkflow, reason: this.cancelReason };
    }
    return { type: CommandType.FailWorkflow, failure: toFailure(error) };
  }

  private closeWith(command: () => Command): void {
    if (this.closed) return;
    let closing: Command;
    try {
      closing = command();
    } catch (error) {
      closing = { type: CommandType.FailWorkflow, failure: toFailure(error) };
    }
    this.closed = true;
    this.commands.push(closing);
  }
}
