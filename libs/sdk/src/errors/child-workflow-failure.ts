import type { ExecutionStatus, Failure } from '#workflows/protocol';

/**
 * What a workflow sees when a child workflow it awaits did not complete: it failed, was
 * cancelled or was terminated. `cause` is the child's own error (a `CancelledFailure` when it
 * was cancelled); `status` says how it ended.
 */
export class ChildWorkflowFailure extends Error {
  constructor(
    readonly workflowName: string,
    readonly executionId: string,
    readonly status: Extract<ExecutionStatus, 'FAILED' | 'CANCELED' | 'TERMINATED'>,
    cause: Error,
  ) {
    super(`Child workflow ${workflowName} (execution ${executionId}) ended ${status}: ${cause.message}`, { cause });
    this.name = 'ChildWorkflowFailure';
  }
}

/**
 * What `ctx.startChild()` / `ctx.executeChild()` reject with when the child could not start:
 * `type` is `WorkflowNotFound` (no worker registered that workflow), `InvalidInput` (the input
 * does not match its schema) or `WorkflowExecutionAlreadyStarted` (the execution id is taken).
 */
export class StartChildWorkflowFailure extends Error {
  readonly type: string;

  constructor(
    readonly workflowName: string,
    readonly executionId: string,
    readonly failure: Failure,
  ) {
    super(`Child workflow ${workflowName} (execution ${executionId}) could not start: ${failure.message}`);
    this.name = 'StartChildWorkflowFailure';
    this.type = failure.type;
  }
}
