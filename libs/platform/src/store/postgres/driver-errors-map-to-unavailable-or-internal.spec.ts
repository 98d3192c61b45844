import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '#workflows/protocol';
import { PlatformError } from '../../errors/platform.error.js';
import { isRetryableConflict, mapPostgresError } from './postgres-error.mapper.js';

function driverError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

describe('mapPostgresError', () => {
  it('answers WF_UNAVAILABLE for a database that is down, restarting or unreachable', () => {
    const unavailable = [
      driverError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      driverError('read ECONNRESET', 'ECONNRESET'),
      driverError('terminating connection due to administrator command', '57P01'),
      driverError('the database system is starting up', '57P03'),
      driverError('connection failure', '08006'),
      driverError('Connection terminated unexpectedly'),
      driverError('timeout exceeded when trying to connect'),
      driverError('deadlock detected', '40P01'),
    ];
    for (const error of unavailable) {
      const mapped = mapPostgresError(error);
      expect(mapped.code).toBe(ErrorCode.Unavailable);
      expect(mapped.detail).not.toContain(error.message);
      expect(mapped.cause).toBe(error);
    }
  });

  it('answers WF_INTERNAL for anything else, and keeps a PlatformError as it is', () => {
    expect(mapPostgresError(driverError('duplicate key value', '23505')).code).toBe(ErrorCode.Internal);
    expect(mapPostgresError(driverError('syntax error', '42601')).code).toBe(ErrorCode.Internal);
    const own = new PlatformError(ErrorCode.TaskTokenStale, 'stale');
    expect(mapPostgresError(own)).toBe(own);
  });

  it('retries serialization failures and deadlocks only', () => {
    expect(isRetryableConflict(driverError('could not serialize', '40001'))).toBe(true);
    expect(isRetryableConflict(driverError('deadlock detected', '40P01'))).toBe(true);
    expect(isRetryableConflict(driverError('duplicate key value', '23505'))).toBe(false);
  });
});
