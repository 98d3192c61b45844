/**
 * Every error code the API answers with, `WF_<NOUN>_<PROBLEM>`.
 * The HTTP status of each is fixed here so that both sides agree.
 */
export const ErrorCode = {
  AuthMissing: 'WF_AUTH_MISSING',
  AuthInvalid: 'WF_AUTH_INVALID',
  RouteNotFound: 'WF_ROUTE_NOT_FOUND',
  RequestInvalid: 'WF_REQUEST_INVALID',
  RequestMalformedJson: 'WF_REQUEST_MALFORMED_JSON',
  RequestUnsupportedMediaType: 'WF_REQUEST_UNSUPPORTED_MEDIA_TYPE',
  PayloadTooLarge: 'WF_PAYLOAD_TOO_LARGE',
  WorkflowNotFound: 'WF_WORKFLOW_NOT_FOUND',
  ExecutionNotFound: 'WF_EXECUTION_NOT_FOUND',
  ExecutionAlreadyStarted: 'WF_EXECUTION_ALREADY_STARTED',
  /** The execution is closed: a signal, update, cancel or terminate needs a running one. */
  ExecutionClosed: 'WF_EXECUTION_CLOSED',
  SignalNotFound: 'WF_SIGNAL_NOT_FOUND',
  QueryNotFound: 'WF_QUERY_NOT_FOUND',
  UpdateNotFound: 'WF_UPDATE_NOT_FOUND',
  /** The query handler threw; `detail` carries its message. */
  QueryFailed: 'WF_QUERY_FAILED',
  /** No worker answered the query in time. */
  QueryTimedOut: 'WF_QUERY_TIMED_OUT',
  WorkerSessionNotFound: 'WF_WORKER_SESSION_NOT_FOUND',
  TaskNotFound: 'WF_TASK_NOT_FOUND',
  TaskTokenStale: 'WF_TASK_TOKEN_STALE',
  TaskTokenInvalid: 'WF_TASK_TOKEN_INVALID',
  Internal: 'WF_INTERNAL',
  Unavailable: 'WF_UNAVAILABLE',
} as const;
/** One of {@link ErrorCode}'s values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The HTTP status each code is answered with. */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  WF_AUTH_MISSING: 401,
  WF_AUTH_INVALID: 401,
  WF_ROUTE_NOT_FOUND: 404,
  WF_REQUEST_INVALID: 422,
  WF_REQUEST_MALFORMED_JSON: 400,
  WF_REQUEST_UNSUPPORTED_MEDIA_TYPE: 415,
  WF_PAYLOAD_TOO_LARGE: 413,
  WF_WORKFLOW_NOT_FOUND: 404,
  WF_EXECUTION_NOT_FOUND: 404,
  WF_EXECUTION_ALREADY_STARTED: 409,
  WF_EXECUTION_CLOSED: 409,
  WF_SIGNAL_NOT_FOUND: 404,
  WF_QUERY_NOT_FOUND: 404,
  WF_UPDATE_NOT_FOUND: 404,
  WF_QUERY_FAILED: 422,
  WF_QUERY_TIMED_OUT: 504,
  WF_WORKER_SESSION_NOT_FOUND: 404,
  WF_TASK_NOT_FOUND: 404,
  WF_TASK_TOKEN_STALE: 409,
  WF_TASK_TOKEN_INVALID: 400,
  WF_INTERNAL: 500,
  WF_UNAVAILABLE: 503,
};

/** The body of every error response. */
export interface ErrorBody {
  detail: string;
  code: ErrorCode;
}
