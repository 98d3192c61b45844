import type { ExecutionWire, Failure } from '#workflows/protocol';

/** Raised by `WorkflowsClient` when an execution ended in failure; `cause` is the workflow's error. */
export class WorkflowFailedError extends Error {
  constructor(
    readonly execution: ExecutionWire,
    readonly failure: Failure | null,
    cause?: Error,
  ) {
    super(
      `Workflow ${execution.workflow_name} execution ${execution.execution_id} ended ${execution.status}` +
        (failure ? `: ${failure.message}` : ''),
      cause ? { cause } : undefined,
    );
    this.name = 'WorkflowFailedError';
  }
}
