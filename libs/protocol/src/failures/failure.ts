import type { JsonValue } from '../history/history-event.js';

/**
 * A failure as it travels and is recorded: structured, never a stringified blob.
 * `type` is the error's class name (or `ApplicationFailure`'s type); `cause` keeps the chain.
 */
export interface Failure {
  type: string;
  message: string;
  stack?: string;
  non_retryable?: boolean;
  details?: JsonValue;
  cause?: Failure;
}
