import { HttpException } from '@nestjs/common';
import { ErrorCode, Limits, type ErrorBody } from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';

/** An error answer: status and body. */
export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  /** Set for a server fault: the original error, for the log. */
  fault?: unknown;
}

const FASTIFY_ERRORS: Record<string, () => PlatformError> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new PlatformError(ErrorCode.RequestUnsupportedMediaType, 'Content-Type must be application/json'),
  FST_ERR_CTP_INVALID_TYPE: () => new PlatformError(ErrorCode.RequestUnsupportedMediaType, 'Content-Type must be application/json'),
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    new PlatformError(ErrorCode.PayloadTooLarge, `the request body is larger than ${Limits.maxRequestBytes} bytes`),
  FST_ERR_CTP_INVALID_JSON_BODY: () =>
    new PlatformError(
      ErrorCode.RequestMalformedJson,
      'the request body is not valid JSON, or holds a forbidden __proto__ or constructor.prototype key',
    ),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new PlatformError(ErrorCode.RequestMalformedJson, 'the request body is empty; send a JSON object'),
  FST_ERR_MAX_PARAM_LENGTH: () =>
    new PlatformError(ErrorCode.RequestInvalid, `a path parameter is longer than ${Limits.maxIdLength} characters`),
  FST_ERR_BAD_URL: () => new PlatformError(ErrorCode.RequestInvalid, 'the URL is malformed'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new PlatformError(ErrorCode.RequestMalformedJson, 'the request body does not match its Content-Length'),
};

/**
 * Maps anything a request can throw to the API's `{detail, code}` answer: platform errors as
 * they are, Fastify's body and routing errors to their named codes, and anything else to a
 * 500 `WF_INTERNAL` that tells the client nothing about the internals.
 */
export function toErrorResponse(exception: unknown, method: string, url: string): ErrorResponse {
  const error = platformErrorOf(exception, method, url);
  if (error) return { status: error.status, body: error.toBody() };
  return {
    status: 500,
    body: { detail: 'internal error', code: ErrorCode.Internal },
    fault: exception,
  };
}

function platformErrorOf(exception: unknown, method: string, url: string): PlatformError | null {
  if (exception instanceof PlatformError) {
    // A store fault keeps its cause for the log; the client only sees the code.
    return exception;
  }
  const route = `${method} ${url.split('?')[0]}`;
  // Nest wraps Fastify's own 4xx errors (body parsing, limits) in an HttpException.
  const cause = exception instanceof HttpException ? (exception.cause as { code?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string' && cause.code.startsWith('FST_')) return platformErrorOf(cause, method, url);
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 404) return new PlatformError(ErrorCode.RouteNotFound, `no route ${route}`);
    if (status === 413) return FASTIFY_ERRORS['FST_ERR_CTP_BODY_TOO_LARGE']!();
    if (status === 415) return FASTIFY_ERRORS['FST_ERR_CTP_INVALID_MEDIA_TYPE']!();
    if (status >= 400 && status < 500) return new PlatformError(ErrorCode.RequestInvalid, exception.message);
    return null;
  }
  const fastify = exception as { code?: unknown; statusCode?: unknown; message?: unknown } | null;
  if (fastify && typeof fastify === 'object' && typeof fastify.statusCode === 'number' && fastify.statusCode < 500) {
    const known = typeof fastify.code === 'string' ? FASTIFY_ERRORS[fastify.code] : undefined;
    if (known) return known();
    if (fastify.statusCode === 404) return new PlatformError(ErrorCode.RouteNotFound, `no route ${route}`);
    return new PlatformError(ErrorCode.RequestInvalid, `the request is invalid: ${String(fastify.message).slice(0, 200)}`);
  }
  return null;
}
