import { Client, Pool } from 'undici';
import type {
  BatchRequest,
  BatchResponse,
  CancelRequest,
  CompleteTaskRequest,
  ExecutionActionResponse,
  Failure,
  HistoryEvent,
  QueryRequest,
  QueryResponse,
  SignalRequest,
  UpdateRequest,
  UpdateResponse,
  WorkflowDetailWire,
  ExecuteWorkflowRequest,
  ExecutionWire,
  FailTaskRequest,
  HeartbeatTaskRequest,
  HeartbeatTaskResponse,
  HistoryPageWire,
  PollTasksRequest,
  RegisterWorkerRequest,
  RegisterWorkerResponse,
  RunsPageWire,
  ReleaseTasksRequest,
  ReleaseTasksResponse,
  TaskHistoryRequest,
  TaskHistoryResponse,
  TasksResponse,
  WhoAmIWire,
  ShutdownWorkerRequest,
  ShutdownWorkerResponse,
  WorkflowsListWire,
} from '#workflows/protocol';
import { WorkflowsApiError } from '../errors/workflows-api.error.js';
import type { PlatformTransport } from './platform-transport.js';
import { parseServerSentEvents } from './server-sent-events.js';

/** Options of {@link HttpPlatformTransport}. */
export interface HttpTransportOptions {
  baseUrl: string;
  apiKey: string;
  /** Keep-alive connections to the platform. @default 32 */
  connections?: number;
}

/** The platform's REST API over HTTP/1.1 keep-alive connections (undici). */
export class HttpPlatformTransport implements PlatformTransport {
  readonly baseUrl: string;
  private readonly pool: Pool;
  private readonly authorization: string;
  /** The connections of open event streams: each has its own, closed with it (or at `close()`). */
  private readonly streams = new Set<Client>();

  constructor(options: HttpTransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    const origin = new URL(this.baseUrl);
    this.pool = new Pool(origin.origin, {
      connections: options.connections ?? 32,
      keepAliveTimeout: 60_000,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    this.authorization = `Bearer ${options.apiKey}`;
  }

  whoami(): Promise<WhoAmIWire> {
    return this.call('GET', '/v1/workflows/workers/whoami');
  }

  listWorkflows(): Promise<WorkflowsListWire> {
    return this.call('GET', '/v1/workflows');
  }

  execute(workflowName: string, body: ExecuteWorkflowRequest): Promise<ExecutionWire> {
    return this.call('POST', `/v1/workflows/${encodeURIComponent(workflowName)}/execute`, body);
  }

  getExecution(executionId: string, waitSeconds?: number): Promise<ExecutionWire> {
    const query = waitSeconds ? `?wait_seconds=${waitSeconds}` : '';
    return this.call('GET', `/v1/workflows/executions/${encodeURIComponent(executionId)}${query}`);
  }

  getHistory(executionId: string, pageToken?: string, runId?: string): Promise<HistoryPageWire> {
    const params = new URLSearchParams({ page_size: '1000' });
    if (pageToken) params.set('next_page_token', pageToken);
    if (runId) params.set('run_id', runId);
    return this.call('GET', `/v1/workflows/executions/${encodeURIComponent(executionId)}/history?${params.toString()}`);
  }

  listRuns(query: Record<string, string | number | undefined>): Promise<RunsPageWire> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const text = params.toString();
    return this.call('GET', `/v1/workflows/runs${text ? `?${text}` : ''}`);
  }

  getWorkflow(workflowName: string): Promise<WorkflowDetailWire> {
    return this.call('GET', `/v1/workflows/${encodeURIComponent(workflowName)}`);
  }

  signal(executionId: string, body: SignalRequest): Promise<ExecutionActionResponse> {
    return this.call('POST', `${executionPath(executionId)}/signals`, body);
  }

  query(executionId: string, body: QueryRequest): Promise<QueryResponse> {
    return this.call('POST', `${executionPath(executionId)}/queries`, body);
  }

  update(executionId: string, body: UpdateRequest): Promise<UpdateResponse> {
    return this.call('POST', `${executionPath(executionId)}/updates`, body);
  }

  cancel(executionId: string, body: CancelRequest): Promise<ExecutionActionResponse> {
    return this.call('POST', `${executionPath(executionId)}/cancel`, body);
  }

  terminate(executionId: string, body: CancelRequest): Promise<ExecutionActionResponse> {
    return this.call('POST', `${executionPath(executionId)}/terminate`, body);
  }

  batch(action: 'cancel' | 'terminate', body: BatchRequest): Promise<BatchResponse> {
    return this.call('POST', `/v1/workflows/executions/${action}`, body);
  }

  async *streamEvents(executionId: string, lastEventId: number, signal: AbortSignal): AsyncIterable<HistoryEvent> {
    const headers: Record<string, string> = { authorization: this.authorization, accept: 'text/event-stream' };
    if (lastEventId > 0) headers['last-event-id'] = String(lastEventId);
    // A connection of its own, closed when the stream ends: a pooled one would stay open after an
    // abort, and the platform would keep streaming to it.
    const connection = new Client(new URL(this.baseUrl).origin, { headersTimeout: 0, bodyTimeout: 0 });
    this.streams.add(connection);
    try {
      const response = await connection.request({ method: 'GET', path: `${executionPath(executionId)}/stream`, headers, signal });
      if (response.statusCode >= 400) throw toApiError(response.statusCode, await response.body.text());
      for await (const message of parseServerSentEvents(response.body)) {
        if (message.data) yield JSON.parse(message.data) as HistoryEvent;
      }
    } catch (error) {
      // A dropped connection ends the stream; the caller resumes from its last event. An abort is the caller's own.
      if (signal.aborted) return;
      if (!isConnectionError(error)) throw error;
    } finally {
      this.streams.delete(connection);
      await connection.destroy();
    }
  }

  register(body: RegisterWorkerRequest): Promise<RegisterWorkerResponse> {
    return this.call('POST', '/v1/workflows/workers/register', body);
  }

  async heartbeat(workerId: string): Promise<void> {
    await this.call('POST', `/v1/workflows/workers/${encodeURIComponent(workerId)}/heartbeat`, {});
  }

  poll(body: PollTasksRequest, signal?: AbortSignal): Promise<TasksResponse> {
    return this.call('POST', '/v1/workflows/tasks/poll', body, signal);
  }

  complete(body: CompleteTaskRequest): Promise<TasksResponse> {
    return this.call('POST', '/v1/workflows/tasks/complete', body);
  }

  fail(body: FailTaskRequest): Promise<TasksResponse> {
    return this.call('POST', '/v1/workflows/tasks/fail', body);
  }

  heartbeatTask(body: HeartbeatTaskRequest): Promise<HeartbeatTaskResponse> {
    return this.call('POST', '/v1/workflows/tasks/heartbeat', body);
  }

  releaseTasks(body: ReleaseTasksRequest): Promise<ReleaseTasksResponse> {
    return this.call('POST', '/v1/workflows/tasks/release', body);
  }

  taskHistory(body: TaskHistoryRequest): Promise<TaskHistoryResponse> {
    return this.call('POST', '/v1/workflows/tasks/history', body);
  }

  shutdownWorker(workerId: string, startedTokens: readonly string[]): Promise<ShutdownWorkerResponse> {
    const body: ShutdownWorkerRequest = { started_task_tokens: [...startedTokens] };
    return this.call('POST', `/v1/workflows/workers/${encodeURIComponent(workerId)}/shutdown`, body);
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.destroy(), ...[...this.streams].map((connection) => connection.destroy())]);
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { authorization: this.authorization };
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const response = await this.pool.request({ method, path, headers, body: payload, signal });
    const text = await response.body.text();
    if (response.statusCode >= 400) throw toApiError(response.statusCode, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

function executionPath(executionId: string): string {
  return `/v1/workflows/executions/${encodeURIComponent(executionId)}`;
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('UND_ERR') || code === 'ECONNRESET' || code === 'EPIPE');
}

function toApiError(status: number, text: string): WorkflowsApiError {
  try {
    const body = JSON.parse(text) as { code?: unknown; detail?: unknown; failure?: Failure };
    if (typeof body.code === 'string') return new WorkflowsApiError(status, body.code, String(body.detail ?? ''), body.failure);
  } catch {
    // Not our error shape (a proxy in between, say): report the raw text below.
  }
  return new WorkflowsApiError(status, 'WF_HTTP_ERROR', text.slice(0, 500) || `HTTP ${status}`);
}
