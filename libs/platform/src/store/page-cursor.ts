import { ErrorCode } from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';

/** The position after the last execution of a page: newest first, by start time then id. */
export interface ExecutionCursor {
  startTime: number;
  executionId: string;
}

/** Encodes a listing position as an opaque page token. */
export function encodeExecutionCursor(cursor: ExecutionCursor): string {
  return Buffer.from(JSON.stringify([cursor.startTime, cursor.executionId])).toString('base64url');
}

/** Decodes a page token of {@link encodeExecutionCursor}; `WF_REQUEST_INVALID` when it is not one. */
export function decodeExecutionCursor(token: string): ExecutionCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') {
      return { startTime: value[0] as number, executionId: value[1] };
    }
  } catch {
    // Falls through to the one error below: the token's content is not the client's business.
  }
  throw new PlatformError(ErrorCode.RequestInvalid, 'next_page_token is not a token this API issued');
}
