import { ErrorCode } from '#workflows/protocol';
import { PlatformError } from '../../errors/platform.error.js';

const UNAVAILABLE_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_READONLY']);

/**
 * Maps a better-sqlite3 error to a `PlatformError`, once, at the store's edge: contention and
 * I/O trouble are `WF_UNAVAILABLE` (the client may retry), anything else `WF_INTERNAL`. The
 * driver's message stays in `cause` for the logs; it never reaches a client.
 */
export function mapSqliteError(error: unknown): PlatformError {
  if (error instanceof PlatformError) return error;
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  const family = code.split('_').slice(0, 2).join('_');
  if (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CODES.has(family)) {
    return new PlatformError(ErrorCode.Unavailable, 'The store is busy or unavailable; retry', { cause: error });
  }
  return new PlatformError(ErrorCode.Internal, 'Internal storage error', { cause: error });
}
