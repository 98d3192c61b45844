import type { Failure } from '#workflows/protocol';

/** A query's handler threw: `failure` is what it threw, `cause` the error rebuilt from it. */
export class WorkflowQueryFailedError extends Error {
  constructor(
    readonly executionId: string,
    readonly queryName: string,
    readonly failure: Failure,
    cause: Error,
  ) {
    super(`Query '${queryName}' of execution ${executionId} failed: ${failure.message}`, { cause });
    this.name = 'WorkflowQueryFailedError';
  }
}
