/** An error answer of the platform's API: HTTP status, `WF_*` code and detail. */
export class WorkflowsApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(`${code} (${status}): ${detail}`);
    this.name = 'WorkflowsApiError';
  }
}
