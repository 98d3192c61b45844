import type { Failure } from '#workflows/protocol';

/** An update's handler threw: `failure` is what it threw, `cause` the error rebuilt from it. */
export class WorkflowUpdateFailedError extends Error {
  constructor(
    readonly executionId: string,
    readonly updateName: string,
    readonly updateId: string,
    readonly failure: Failure,
    cause: Error,
  ) {
    super(`Update '${updateName}' (${updateId}) of execution ${executionId} failed: ${failure.message}`, { cause });
    this.name = 'WorkflowUpdateFailedError';
  }
}
