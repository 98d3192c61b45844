import {
  ErrorCode,
  type CompleteTaskRequest,
  type FailTaskRequest,
  type HeartbeatTaskRequest,
  type HeartbeatTaskResponse,
  type PollTasksRequest,
  type RegisterWorkerRequest,
  type RegisterWorkerResponse,
  type ReleaseTasksRequest,
  type ReleaseTasksResponse,
  type ShutdownWorkerResponse,
  type TaskHistoryRequest,
  type TaskHistoryResponse,
  type TasksResponse,
} from '#workflows/protocol';
import { WorkflowsApiError } from '../errors/workflows-api.error.js';
import { HttpPlatformTransport, type HttpTransportOptions } from './http-platform.transport.js';

/** The worker protocol of a platform running in this process (the platform's `InProcessWorkerProtocol`). */
export interface InProcessWorkerPort {
  register(body: unknown): Promise<RegisterWorkerResponse>;
  heartbeat(workerId: string): Promise<void>;
  shutdown(workerId: string, body: unknown): Promise<ShutdownWorkerResponse>;
  poll(body: unknown, signal?: AbortSignal): Promise<TasksResponse>;
  complete(body: unknown): Promise<TasksResponse>;
  fail(body: unknown): Promise<TasksResponse>;
  heartbeatTask(body: unknown): Promise<HeartbeatTaskResponse>;
  release(body: unknown): Promise<ReleaseTasksResponse>;
  history(body: unknown): Promise<TaskHistoryResponse>;
}

/**
 * The embedded mode's transport: the worker protocol (register, poll, complete, …) is called in
 * this process, with the platform's own validation and errors, instead of over loopback HTTP;
 * everything else (the client API) goes over HTTP as from any other client.
 */
export class InProcessPlatformTransport extends HttpPlatformTransport {
  constructor(
    options: HttpTransportOptions,
    private readonly port: InProcessWorkerPort,
  ) {
    super(options);
  }

  override register(body: RegisterWorkerRequest): Promise<RegisterWorkerResponse> {
    return answer(() => this.port.register(body));
  }

  override heartbeat(workerId: string): Promise<void> {
    return answer(() => this.port.heartbeat(workerId));
  }

  override poll(body: PollTasksRequest, signal?: AbortSignal): Promise<TasksResponse> {
    return answer(() => this.port.poll(body, signal));
  }

  override complete(body: CompleteTaskRequest): Promise<TasksResponse> {
    return answer(() => this.port.complete(body));
  }

  override fail(body: FailTaskRequest): Promise<TasksResponse> {
    return answer(() => this.port.fail(body));
  }

  override heartbeatTask(body: HeartbeatTaskRequest): Promise<HeartbeatTaskResponse> {
    return answer(() => this.port.heartbeatTask(body));
  }

  override releaseTasks(body: ReleaseTasksRequest): Promise<ReleaseTasksResponse> {
    return answer(() => this.port.release(body));
  }

  override taskHistory(body: TaskHistoryRequest): Promise<TaskHistoryResponse> {
    return answer(() => this.port.history(body));
  }

  override shutdownWorker(workerId: string, startedTokens: readonly string[]): Promise<ShutdownWorkerResponse> {
    return answer(() => this.port.shutdown(workerId, { started_task_tokens: [...startedTokens] }));
  }
}

/** The platform's answer, its errors as the HTTP API would have answered them (`WorkflowsApiError` with status and code). */
async function answer<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const { status, code, detail } = (error ?? {}) as { status?: unknown; code?: unknown; detail?: unknown };
    if (typeof status === 'number' && typeof code === 'string') throw new WorkflowsApiError(status, code, String(detail ?? ''));
    throw new WorkflowsApiError(500, ErrorCode.Internal, `internal error: ${(error as Error)?.message ?? String(error)}`);
  }
}
