import type { ParentClosePolicy } from '#workflows/protocol';

/** Options of `ctx.startChild()` and `ctx.executeChild()`. */
export interface ChildWorkflowOptions {
  /** The child's input, passed to its `@Run()` method (checked against its schema by the platform). */
  input?: unknown;
  /** The child's execution id. @default `<parent run id>-child-<n>`, the same on every replay */
  executionId?: string;
  /**
   * What happens to the child if this run closes first (completes, fails, is cancelled,
   * terminated or continues as new): `TERMINATE` it, `REQUEST_CANCEL` it, or `ABANDON` it to run on.
   * @default 'TERMINATE'
   */
  parentClosePolicy?: ParentClosePolicy;
  /** Only workers of this deployment run it. @default any worker that registered the workflow */
  deploymentName?: string;
}

/** A child workflow this run started: its ids, its result, and a way to ask it to cancel. */
export class ChildWorkflowHandle<TResult = unknown> {
  constructor(
    /** The child's execution id. */
    readonly executionId: string,
    /** Its first run (a child that continues as new goes on in later runs of the same execution). */
    readonly firstRunId: string,
    private readonly outcome: Promise<unknown>,
    private readonly requestCancel: () => void,
  ) {}

  /**
   * Resolves with the child's result when it completes; rejects with `ChildWorkflowFailure` when
   * it fails, is cancelled or terminated (its `cause` says why).
   */
  result(): Promise<TResult> {
    return this.outcome as Promise<TResult>;
  }

  /**
   * Asks the child to cancel (it gets `WORKFLOW_EXECUTION_CANCEL_REQUESTED` and may clean up);
   * {@link result} then settles when it ends. Once per child; nothing once it ended.
   */
  cancel(): void {
    this.requestCancel();
  }
}
