import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ErrorCode } from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';
import { NAMESPACE_OF_REQUEST, type AuthenticatedRequest } from './api-key.guard.js';

/** The namespace of the caller's API key, as `ApiKeyGuard` recorded it. */
export const CallerNamespace = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const namespace = context.switchToHttp().getRequest<AuthenticatedRequest>()[NAMESPACE_OF_REQUEST];
  if (namespace === undefined) throw new PlatformError(ErrorCode.AuthMissing, 'an Authorization header with a Bearer API key is required');
  return namespace;
});
