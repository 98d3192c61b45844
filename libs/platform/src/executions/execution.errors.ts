import { ErrorCode } from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';
import type { ExecutionRecord } from '../store/store.interface.js';

/** `WF_EXECUTION_NOT_FOUND` naming the id (the same answer for another namespace's execution). */
export function executionNotFound(executionId: string): PlatformError {
  return new PlatformError(ErrorCode.ExecutionNotFound, `execution '${executionId}' not found`);
}

/** `WF_EXECUTION_CLOSED` naming the execution's status and what it could not take. */
export function executionClosed(execution: Pick<ExecutionRecord, 'executionId' | 'status'>, what: string): PlatformError {
  return new PlatformError(ErrorCode.ExecutionClosed, `execution '${execution.executionId}' is closed (${execution.status}): it takes no ${what}`);
}
