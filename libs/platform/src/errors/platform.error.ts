import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '#workflows/protocol';

/** A condition of the platform with its `WF_*` code; the API answers it as an `ErrorBody`. */
export class PlatformError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
    this.name = 'PlatformError';
  }

  /** The HTTP status of the code. */
  get status(): number {
    return ERROR_STATUS[this.code];
  }

  /** The response body. */
  toBody(): ErrorBody {
    return { detail: this.detail, code: this.code };
  }
}
