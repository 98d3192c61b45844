import { Catch, Inject, type ArgumentsHost, type ExceptionFilter, type LoggerService } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode } from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';
import { PLATFORM_LOGGER } from '../platform.constants.js';
import { toErrorResponse } from './error-response.js';

/** The API's one exception filter: every error leaves as `{detail, code}` with its status. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(@Inject(PLATFORM_LOGGER) private readonly logger: LoggerService | null) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { status, body, fault } = toErrorResponse(exception, request.method, request.url);
    const cause = exception instanceof PlatformError && status >= 500 ? exception.cause : fault;
    if (status >= 500 && this.logger) {
      // Method and path only: bodies may hold payloads or keys, which are never logged.
      const route = `${request.method} ${request.routeOptions?.url ?? 'unmatched route'}`;
      const reason = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause ?? body.detail);
      this.logger.error(`${body.code} on ${route}: ${reason}`);
    }
    if (reply.sent || reply.raw.headersSent) return;
    void reply
      .status(status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(status === 500 ? { detail: 'internal error', code: ErrorCode.Internal } : body);
  }
}
