import type { Failure } from '#workflows/protocol';

/** An error answer of the platform's API: HTTP status, `WF_*` code and detail. */
export class WorkflowsApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    /** The structured failure some answers carry (a query whose handler threw). */
    readonly failure?: Failure,
  ) {
    super(`${code} (${status}): ${detail}`);
    this.name = 'WorkflowsApiError';
  }
}
