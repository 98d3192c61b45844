import { ErrorCode, type ErrorBody, type Failure } from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';

/** A query handler threw: `WF_QUERY_FAILED` whose body also carries the structured `failure`. */
export class QueryFailedError extends PlatformError {
  constructor(
    queryName: string,
    readonly failure: Failure,
  ) {
    super(ErrorCode.QueryFailed, `query '${queryName}' failed: ${failure.message}`);
  }

  override toBody(): ErrorBody & { failure: Failure } {
    return { ...super.toBody(), failure: this.failure };
  }
}
