import type { INestApplicationContext } from '@nestjs/common';
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
 * key check, validation, size limit and errors (a {@link PlatformError}), without HTTP. Request
 * bodies are what the worker would have sent as JSON; answers are fresh objects it may keep.
 */
export class InProcessWorkerProtocol {
  private constructor(
    private readonly namespace: string,
    private readonly sessions: WorkerSessionsService,
    private readonly tasks: TasksService,
  ) {}

  /** The protocol of the namespace `apiKey` selects; rejects as the API does when the key is not known. */
  static async open(app: INestApplicationContext, apiKey: string): Promise<InProcessWorkerProtocol> {
    const namespace = await authenticate(app.get(ApiKeysService), `Bearer ${apiKey}`);
    return new InProcessWorkerProtocol(namespace, app.get(WorkerSessionsService), app.get(TasksService));
  }

  register(body: unknown): Promise<RegisterWorkerResponse> {
    return this.sessions.register(this.namespace, parseRegisterRequest(sized(body)));
  }

  heartbeat(workerId: string): Promise<void> {
    return this.sessions.heartbeat(this.namespace, parseIdParam('worker_id', workerId));
  }

  shutdown(workerId: string, body: unknown): Promise<ShutdownWorkerResponse> {
    return this.sessions.shutdown(this.namespace, parseIdParam('worker_id', workerId), parseShutdownRequest(sized(body)));
  }

  /** A long poll; when `signal` fires the poll ends, and tasks claimed meanwhile go back at once, as for a client that went away. */
  poll(body: unknown, signal?: AbortSignal): Promise<TasksResponse> {
    return this.tasks.poll(this.namespace, parsePollRequest(sized(body)), signal ?? new AbortController().signal);
  }

  complete(body: unknown): Promise<TasksResponse> {
    return this.tasks.complete(this.namespace, parseCompleteRequest(sized(body)));
  }

  fail(body: unknown): Promise<TasksResponse> {
    return this.tasks.fail(this.namespace, parseFailRequest(sized(body)));
  }

  heartbeatTask(body: unknown): Promise<HeartbeatTaskResponse> {
    return this.tasks.heartbeat(this.namespace, parseHeartbeatTaskRequest(sized(body)));
  }

  release(body: unknown): Promise<ReleaseTasksResponse> {
    return this.tasks.release(this.namespace, parseReleaseRequest(sized(body)));
  }

  history(body: unknown): Promise<TaskHistoryResponse> {
    return this.tasks.history(this.namespace, parseTaskHistoryRequest(sized(body)));
  }
}

/** The body as JSON would carry it, refused as the HTTP API refuses one over the request limit. */
function sized(body: unknown): unknown {
  const json = JSON.stringify(body);
  if (json === undefined) throw new PlatformError(ErrorCode.RequestMalformedJson, 'the request body is empty; send a JSON object');
  if (Buffer.byteLength(json) > Limits.maxRequestBytes) {
    throw new PlatformError(ErrorCode.PayloadTooLarge, `the request body is larger than ${Limits.maxRequestBytes} bytes`);
  }
  return JSON.parse(json) as unknown;
}
