import type { Duration } from '#workflows/protocol';
import { ContinueAsNew } from '../errors/continue-as-new.js';
import type { ChildWorkflowHandle, ChildWorkflowOptions } from './child-workflow.handle.js';
import { toJsonPayload } from './payload.js';
import { workflowNameOf, type WorkflowReference } from './workflow-reference.js';
import type { WorkflowInfo } from './workflow-info.js';

/** What the workflow context needs from the run it belongs to. */
export interface WorkflowContextHost {
  readonly info: WorkflowInfo;
  readonly cancellationRequested: boolean;
  sleep(duration: Duration): Promise<void>;
  condition(predicate: () => boolean, timeout?: Duration): Promise<boolean>;
  now(): Date;
  nextRandom(): number;
  sideEffect<T>(fn: () => T): T;
  patched(patchId: string, deprecated?: boolean): boolean;
  startChild(workflowName: string, options: ChildWorkflowOptions): Promise<ChildWorkflowHandle>;
}

/**
 * A workflow's window on its execution. Inject it into a `@Workflow()` class's constructor:
 * each execution gets its own, so nothing leaks between executions.
 */
export class WorkflowContext {
  constructor(private readonly host: WorkflowContextHost) {}

  /** The execution's workflow name, ids and task attempt. */
  get info(): WorkflowInfo {
    return this.host.info;
  }

  /**
   * Waits for `duration` on a durable timer kept by the platform: it survives worker and
   * platform restarts, and fires once. `'30s'`, `'1h'`, `'7d'` or milliseconds.
   * Rejects with `CancelledFailure` when the execution is cancelled meanwhile.
   */
  sleep(duration: Duration): Promise<void> {
    return this.host.sleep(duration);
  }

  /**
   * Waits until `predicate` holds: it is checked after every signal, update and result the
   * workflow receives. With a `timeout`, resolves `false` if it did not hold in time (a durable
   * timer), `true` otherwise. Rejects with `CancelledFailure` when the execution is cancelled.
   */
  condition(predicate: () => boolean, timeout?: Duration): Promise<boolean> {
    return this.host.condition(predicate, timeout);
  }

  /**
   * The current time as the workflow sees it: when the events this workflow task handles were
   * recorded. Use it instead of `Date.now()` or `new Date()`, which would differ on replay.
   */
  now(): Date {
    return this.host.now();
  }

  /**
   * A random number in [0, 1), from a generator seeded by the run: the same sequence on every
   * replay. Use it instead of `Math.random()`.
   */
  random(): number {
    return this.host.nextRandom();
  }

  /** A random UUID (version 4 format) from {@link random}: the same on every replay. */
  uuid(): string {
    const hex = Array.from({ length: 16 }, () => Math.floor(this.host.nextRandom() * 256));
    hex[6] = (hex[6]! & 0x0f) | 0x40;
    hex[8] = (hex[8]! & 0x3f) | 0x80;
    const text = hex.map((byte) => byte.toString(16).padStart(2, '0')).join('');
    return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
  }

  /**
   * Runs `fn` once and records its (JSON) value in history; every replay returns the recorded
   * value without running it. For small non-deterministic reads (an id from a library, a
   * config flag); anything doing I/O belongs in an activity. `fn` must be synchronous.
   */
  sideEffect<T>(fn: () => T): T {
    return this.host.sideEffect(fn);
  }

  /**
   * Whether this run takes the new code path of change `patchId`:
   * `if (ctx.patched('skip-fraud-check')) { new } else { old }`. Runs that passed this point
   * under the old code keep the old path on replay; all others take the new one and record it.
   * Once no run of the old code remains, replace the call with {@link deprecatePatch}, then
   * remove it.
   */
  patched(patchId: string): boolean {
    return this.host.patched(patchId);
  }

  /**
   * Retires a patch: the new path is now the only one. Keeps runs that recorded the patch
   * replaying; new runs record nothing to branch on. Remove the call once those runs are done.
   */
  deprecatePatch(patchId: string): void {
    this.host.patched(patchId, true);
  }

  /**
   * Ends this run and starts a new run of the same execution (same execution id, a fresh
   * history) with `input`: `return this.ctx.continueAsNew(state)` or `await` it. For workflows
   * that live long or loop forever: call it when `info.continueAsNewSuggested` is true, or every
   * N iterations. Never resolves: it rejects with {@link ContinueAsNew}, which must escape
   * `@Run()` (do not catch it). Commands the run buffered before it still count; signals not yet
   * handled make the platform retry the task with them, so none is lost.
   */
  continueAsNew(input?: unknown, options: { workflowName?: string } = {}): Promise<never> {
    try {
      return Promise.reject(new ContinueAsNew(toJsonPayload(input, 'continueAsNew input'), options.workflowName));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Starts a child workflow (its `@Workflow()` class or registered name) and resolves with its
   * handle once the platform started it: `(await ctx.startChild(Shipment, { input })).result()`.
   * The child is an execution of its own (any worker that registered it runs it), with
   * `parent_execution_id` and `root_execution_id` naming this one. Rejects with
   * `StartChildWorkflowFailure` when it cannot start: no worker registered the workflow, its
   * input does not match its schema, or its execution id is taken. When this run closes first,
   * `parentClosePolicy` decides the child's fate (terminated by default). If this execution is
   * cancelled, its running children are asked to cancel.
   */
  startChild<TResult = unknown>(workflow: WorkflowReference, options: ChildWorkflowOptions = {}): Promise<ChildWorkflowHandle<TResult>> {
    try {
      return this.host.startChild(workflowNameOf(workflow), options) as Promise<ChildWorkflowHandle<TResult>>;
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /**
   * Starts a child workflow and waits for its result ({@link startChild}, then `result()`).
   * Rejects with `ChildWorkflowFailure` when the child fails, is cancelled or terminated.
   */
  async executeChild<TResult = unknown>(workflow: WorkflowReference, options: ChildWorkflowOptions = {}): Promise<TResult> {
    const handle = await this.startChild<TResult>(workflow, options);
    return handle.result();
  }

  /** Whether the execution was asked to cancel (`handle.cancel()`); stays true once it is. */
  get cancellationRequested(): boolean {
    return this.host.cancellationRequested;
  }
}
