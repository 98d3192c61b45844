import { ErrorCode } from '#workflows/protocol';
import { PlatformError } from '../../errors/platform.error.js';

/** Node socket errors of a connection that is gone or cannot be made. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** SQLSTATEs of a server that is shutting down, starting up, or out of connections. */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '53400']);
/** What `pg` says, without a code, when a connection ended or could not be made in time. */
const CONNECTION_MESSAGES = /connection terminated|timeout exceeded when trying to connect|client has encountered a connection error|not queryable|client was closed/i;

/** The `code` of a driver error (a SQLSTATE or a Node socket code), or `''`. */
export function postgresErrorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** Whether the error says the database cannot be reached right now (the request may be retried later). */
export function isConnectionError(error: unknown): boolean {
  const code = postgresErrorCode(error);
  if (SOCKET_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08')) return true;
  return code === '' && error instanceof Error && CONNECTION_MESSAGES.test(error.message);
}

/** Whether the transaction lost a serialization conflict or a deadlock, and may simply run again. */
export function isRetryableConflict(error: unknown): boolean {
  const code = postgresErrorCode(error);
  return code === '40001' || code === '40P01';
}

/**
 * Maps a `pg` error to a `PlatformError`, once, at the store's edge: an unreachable or
 * restarting database, or a conflict that kept losing, is `WF_UNAVAILABLE` (503, the client
 * retries); anything else `WF_INTERNAL`. The driver's message stays in `cause` for the logs.
 */
export function mapPostgresError(error: unknown): PlatformError {
  if (error instanceof PlatformError) return error;
  if (isConnectionError(error)) {
    return new PlatformError(ErrorCode.Unavailable, 'The database is unavailable; retry', { cause: error });
  }
  if (isRetryableConflict(error)) {
    return new PlatformError(ErrorCode.Unavailable, 'The store is busy; retry', { cause: error });
  }
  return new PlatformError(ErrorCode.Internal, 'Internal storage error', { cause: error });
}
