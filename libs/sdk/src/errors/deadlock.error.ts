/**
 * Workflow code did not yield within the deadlock timeout: it loops or blocks instead of waiting
 * through `ctx` and activities. The workflow task fails (the execution is parked and the task
 * retried later, as for a `NonDeterminismError`); the worker replaces the thread that ran it.
 */
export class DeadlockError extends Error {
  constructor(
    readonly workflowName: string,
    readonly executionId: string,
    readonly timeoutMs: number,
  ) {
    super(
      `Workflow '${workflowName}' (execution ${executionId}) did not yield within ${timeoutMs} ms: ` +
        'workflow code must not loop or block; it waits only through ctx and activities',
    );
    this.name = 'DeadlockError';
  }
}
