import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import {
  ErrorCode,
  Limits,
  type HeartbeatTaskResponse,
  type RegisterWorkerResponse,
  type ReleaseTasksResponse,
  type ShutdownWorkerResponse,
  type TaskHistoryResponse,
  type TasksResponse,
} from '#workflows/protocol';
import { ApiKeysService } from '../auth/api-keys.service.js';
import { PlatformError } from '../errors/platform.error.js';
import { PLATFORM_LOGGER } from '../platform.constants.js';
import { TasksService } from '../tasks/tasks.service.js';
import { WorkerSessionsService } from '../workers/worker-sessions.service.js';
import { authenticate } from './api-key.guard.js';
import { parseIdParam } from './execution-requests.validator.js';
import {
  parseCompleteRequest,
  parseFailRequest,
  parseHeartbeatTaskRequest,
  parsePollRequest,
  parseRegisterRequest,
  parseReleaseRequest,
  parseShutdownRequest,
  parseTaskHistoryRequest,
} from './worker-requests.validator.js';

/**
 * The worker protocol called in this process, for a worker app that runs the platform embedded:
 * the same operations as `/v1/workflows/workers/*` and `/v1/workflows/tasks/*`, with the same
 * key check, validation, size limit and errors (a {@link PlatformError}; a fault is logged here
 * and answered as `WF_INTERNAL`, as the API does), without HTTP. Request bodies are what the
 * worker would have sent as JSON; answers are fresh objects it may keep.
 */
export class InProcessWorkerProtocol {
  private constructor(
    private readonly namespace: string,
    private readonly sessions: WorkerSessionsService,
    private readonly tasks: TasksService,
    private readonly logger: LoggerService | null,
  ) {}

  /** The protocol of the namespace `apiKey` selects; rejects as the API does when the key is not known. */
  static async open(app: INestApplicationContext, apiKey: string): Promise<InProcessWorkerProtocol> {
    const namespace = await authenticate(app.get(ApiKeysService), `Bearer ${apiKey}`);
    const logger = app.get<LoggerService | null>(PLATFORM_LOGGER, { strict: false });
    return new InProcessWorkerProtocol(namespace, app.get(WorkerSessionsService), app.get(TasksService), logger);
  }

  register(body: unknown): Promise<RegisterWorkerResponse> {
    return this.answer('register', () => this.sessions.register(this.namespace, parseRegisterRequest(sized(body))));
  }

  heartbeat(workerId: string): Promise<void> {
    return this.answer('heartbeat', () => this.sessions.heartbeat(this.namespace, parseIdParam('worker_id', workerId)));
  }

  shutdown(workerId: string, body: unknown): Promise<ShutdownWorkerResponse> {
    return this.answer('shutdown', () => this.sessions.shutdown(this.namespace, parseIdParam('worker_id', workerId), parseShutdownRequest(sized(body))));
  }

  /** A long poll; when `signal` fires the poll ends, and tasks claimed meanwhile go back at once, as for a client that went away. */
  poll(body: unknown, signal?: AbortSignal): Promise<TasksResponse> {
    return this.answer('poll', () => this.tasks.poll(this.namespace, parsePollRequest(sized(body)), signal ?? new AbortController().signal));
  }

  complete(body: unknown): Promise<TasksResponse> {
    return this.answer('complete', () => this.tasks.complete(this.namespace, parseCompleteRequest(sized(body))));
  }

  fail(body: unknown): Promise<TasksResponse> {
    return this.answer('fail', () => this.tasks.fail(this.namespace, parseFailRequest(sized(body))));
  }

  heartbeatTask(body: unknown): Promise<HeartbeatTaskResponse> {
    return this.answer('heartbeatTask', () => this.tasks.heartbeat(this.namespace, parseHeartbeatTaskRequest(sized(body))));
  }

  release(body: unknown): Promise<ReleaseTasksResponse> {
    return this.answer('release', () => this.tasks.release(this.namespace, parseReleaseRequest(sized(body))));
  }

  history(body: unknown): Promise<TaskHistoryResponse> {
    return this.answer('history', () => this.tasks.history(this.namespace, parseTaskHistoryRequest(sized(body))));
  }

  /** Runs one operation; a fault that is not the caller's is logged and answered as the API answers it. */
  private async answer<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof PlatformError && error.status < 500) throw error;
      const cause = error instanceof PlatformError ? error.cause : error;
      const code = error instanceof PlatformError ? error.code : ErrorCode.Internal;
      this.logger?.error(`${code} on in-process ${operation}: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
      throw error instanceof PlatformError ? error : new PlatformError(ErrorCode.Internal, 'internal error');
    }
  }
}

/** Keys the HTTP API's JSON parser refuses (prototype poisoning). */
const POISONED_KEY = /"(?:__proto__|constructor)"\s*:/;

/** The body as JSON would carry it, refused as the HTTP API refuses one over the request limit. */
function sized(body: unknown): unknown {
  const json = JSON.stringify(body);
  if (json === undefined) throw new PlatformError(ErrorCode.RequestMalformedJson, 'the request body is empty; send a JSON object');
  if (Buffer.byteLength(json) > Limits.maxRequestBytes) {
    throw new PlatformError(ErrorCode.PayloadTooLarge, `the request body is larger than ${Limits.maxRequestBytes} bytes`);
  }
  return JSON.parse(json, POISONED_KEY.test(json) ? refusePoisonedKeys : undefined) as unknown;
}

/** A `JSON.parse` reviver that refuses what the HTTP API refuses: a `__proto__` key, or `constructor.prototype`. */
function refusePoisonedKeys(key: string, value: unknown): unknown {
  const prototypeOfConstructor = key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype');
  if (key === '__proto__' || prototypeOfConstructor) {
    throw new PlatformError(ErrorCode.RequestMalformedJson, 'the request body is not valid JSON, or holds a forbidden __proto__ or constructor.prototype key');
  }
  return value;
}
