import type { JsonValue } from '#workflows/protocol';

/** Options of an {@link ApplicationFailure}. */
export interface ApplicationFailureOptions {
  /** A type name a retry policy can list as non-retryable; defaults to `'ApplicationFailure'`. */
  type?: string;
  /** When true the activity is not retried, whatever its retry policy says. */
  nonRetryable?: boolean;
  /** Structured details recorded with the failure. */
  details?: JsonValue;
  cause?: unknown;
}

/**
 * An error thrown on purpose by workflow or activity code, recorded with its type, details
 * and non-retryable flag.
 */
export class ApplicationFailure extends Error {
  readonly type: string;
  readonly nonRetryable: boolean;
  readonly details: JsonValue | undefined;

  constructor(message: string, options: ApplicationFailureOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApplicationFailure';
    this.type = options.type ?? 'ApplicationFailure';
    this.nonRetryable = options.nonRetryable ?? false;
    this.details = options.details;
  }

  /** A failure that is never retried. */
  static nonRetryable(message: string, type?: string, details?: JsonValue): ApplicationFailure {
    return new ApplicationFailure(message, { type, details, nonRetryable: true });
  }
}
