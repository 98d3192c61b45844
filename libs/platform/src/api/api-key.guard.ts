import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ErrorCode } from '#workflows/protocol';
import { ApiKeysService } from '../auth/api-keys.service.js';
import { PlatformError } from '../errors/platform.error.js';

/** Where the guard leaves the caller's namespace on the request. */
export const NAMESPACE_OF_REQUEST = Symbol('workflowsNamespace');

/** A request the guard has let through. */
export type AuthenticatedRequest = FastifyRequest & { [NAMESPACE_OF_REQUEST]?: string };

const BEARER = /^Bearer[ \t]+([\x21-\x7e]{1,512})[ \t]*$/i;

/**
 * The namespace of the request's `Authorization: Bearer <API key>`. No header:
 * `WF_AUTH_MISSING`; anything else wrong: one identical `WF_AUTH_INVALID`, so that a caller
 * learns nothing about which part was wrong.
 */
export async function authenticate(keys: ApiKeysService, header: string | undefined): Promise<string> {
  if (header === undefined || header === '') {
    throw new PlatformError(ErrorCode.AuthMissing, 'an Authorization header with a Bearer API key is required');
  }
  const key = BEARER.exec(header)?.[1];
  const namespace = key === undefined ? null : await keys.namespaceFor(key);
  if (namespace === null) throw new PlatformError(ErrorCode.AuthInvalid, 'the API key is invalid');
  return namespace;
}

/**
 * Admits requests with the API key of a known namespace and records the namespace. Every
 * request is already checked by the platform's `onRequest` hook, before its body is read
 * (see start-platform.ts); the guard keeps each controller safe on its own, as when the module
 * is mounted in another app.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly keys: ApiKeysService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    request[NAMESPACE_OF_REQUEST] ??= await authenticate(this.keys, request.headers.authorization);
    return true;
  }
}
