import 'reflect-metadata';
import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Limits } from '#workflows/protocol';
import { ApiExceptionFilter } from './api/api-exception.filter.js';
import { NAMESPACE_OF_REQUEST, authenticate, type AuthenticatedRequest } from './api/api-key.guard.js';
import { ApiKeysService } from './auth/api-keys.service.js';
import { toErrorResponse } from './api/error-response.js';
import { ExecutionWaiters } from './matching/execution.waiters.js';
import { TaskMatcher } from './matching/task.matcher.js';
import { applyPlatformDefaults, type PlatformOptions } from './options/platform.options.js';
import { PLATFORM_LOGGER, STORE } from './platform.constants.js';
import { PlatformModule, platformLogger } from './platform.module.js';
import { openStore } from './store/store.factory.js';
import type { Store } from './store/store.interface.js';


/** The listen backlog asked for (the kernel caps it at `net.core.somaxconn`). */
const LISTEN_BACKLOG = 4096;
/**
 * Every route needs an API key, and it is checked before the body is read: a caller without
 * a valid key gets 401, never a parse error, and cannot make the server read a large body.
 */
function requireKeyBeforeBody(adapter: FastifyAdapter, keys: ApiKeysService): void {
  adapter.getInstance().addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      (request as AuthenticatedRequest)[NAMESPACE_OF_REQUEST] = await authenticate(keys, request.headers.authorization);
    } catch (error) {
      const { status, body } = toErrorResponse(error, request.method, request.url);
      return reply.code(status).send(body);
    }
  });
}

/** A running platform. */
export interface RunningPlatform {
  /** The base URL clients use, e.g. `http://127.0.0.1:7420`. */
  url: string;
  /** The port it listens on (the one picked when asked for 0). */
  port: number;
  /** The namespaces of the configured API keys (the keys themselves are not kept). */
  namespaces: string[];
  /** The store's engine and durability, as logged at start. */
  storeDescription: string;
  /** The Nest application, for tests and embedding. */
  app: NestFastifyApplication;
  /** Releases waiting requests, stops the HTTP server, then closes the store. */
  close(): Promise<void>;
}

/**
 * Starts the platform: a Nest application on Fastify (body limit, no prototype poisoning)
 * listening on `host:port`, with the store the options select (SQLite, or PostgreSQL for a
 * database URL) opened and migrated and the API keys stored hashed. Logs one line with the
 * store's engine and durability and the URL. A store that cannot be opened (database
 * unreachable, schema too new) rejects with a `PlatformError` whose message says so in a line.
 */
export async function startPlatform(options: PlatformOptions = {}): Promise<RunningPlatform> {
  const resolved = applyPlatformDefaults(options);
  // Opened before Nest starts, so that an unreachable database is one clear error, not Nest's stack.
  const opened = await openStore(resolved, platformLogger(resolved));
  const adapter = new FastifyAdapter({
    bodyLimit: Limits.maxRequestBytes,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    // Path ids may be 255 characters, percent-encoded UTF-8 up to 12 bytes each on the wire.
    routerOptions: { maxParamLength: Limits.maxIdLength * 12 },
    // Errors Fastify meets before routing (malformed URL, overlong parameter) get the API's shape too.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => {
      const { status, body } = toErrorResponse(error, request.method, request.url);
      void reply.code(status).send(body);
    },
  });
  // Only JSON bodies: anything else is a 415 rather than a string the validators would see.
  adapter.getInstance().removeContentTypeParser(['text/plain']);
  const app = await NestFactory.create<NestFastifyApplication>(PlatformModule.forRoot(resolved, opened), adapter, {
    bodyParser: false,
    // Nest's logger is process-wide: only `false` is passed on, so that an embedding app keeps its own.
    ...(resolved.logger === false ? { logger: false as const } : {}),
    abortOnError: false,
  }).catch(async (error: unknown) => {
    await opened.close().catch(() => undefined);
    throw error;
  });
  try {
    app.useGlobalFilters(app.get(ApiExceptionFilter));
    requireKeyBeforeBody(adapter, app.get(ApiKeysService));
    // A deep accept queue: a burst of new connections (thousands of clients waiting on results)
    // while the event loop is busy must not overflow it, or their SYNs are dropped and retried after 1, 3, 7 s.
    await app.listen({ port: resolved.port, host: resolved.host, backlog: LISTEN_BACKLOG });
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : resolved.port;
  const host = resolved.host === '0.0.0.0' || resolved.host === '::' ? '127.0.0.1' : resolved.host;
  const url = resolved.publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  resolved.publicUrl = url;
  const store = app.get<Store>(STORE);
  const logger = app.get<LoggerService | null>(PLATFORM_LOGGER);
  logger?.log(`Workflows platform listening on ${url} (store: ${store.description})`);

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    namespaces: [...new Set(resolved.apiKeys.map((k) => k.namespace))],
    storeDescription: store.description,
    app,
    close: () => {
      closing ??= (async () => {
        // Held polls, result, query and update waits answer now, and live streams end, so that the HTTP server can stop at once.
        app.get(TaskMatcher).close();
        app.get(ExecutionWaiters).close();
        await app.close();
      })();
      return closing;
    },
  };
}
