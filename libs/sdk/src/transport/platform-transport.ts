import type {
  BatchRequest,
  BatchResponse,
  CancelRequest,
  CompleteTaskRequest,
  ExecutionActionResponse,
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
  ShutdownWorkerResponse,
  WorkflowsListWire,
} from '#workflows/protocol';

/**
 * Everything the SDK asks of the platform. The HTTP implementation is the real one; this
 * interface is the declared seam where tests may put a fake.
 */
export interface PlatformTransport {
  readonly baseUrl: string;
  whoami(): Promise<WhoAmIWire>;
  listWorkflows(): Promise<WorkflowsListWire>;
  execute(workflowName: string, body: ExecuteWorkflowRequest): Promise<ExecutionWire>;
  getExecution(executionId: string, waitSeconds?: number): Promise<ExecutionWire>;
  /** A page of the history of the execution's current run, or of `runId` (a run it continued as new from). */
  getHistory(executionId: string, pageToken?: string, runId?: string): Promise<HistoryPageWire>;
  listRuns(query: Record<string, string | number | undefined>): Promise<RunsPageWire>;
  getWorkflow(workflowName: string): Promise<WorkflowDetailWire>;
  signal(executionId: string, body: SignalRequest): Promise<ExecutionActionResponse>;
  query(executionId: string, body: QueryRequest): Promise<QueryResponse>;
  update(executionId: string, body: UpdateRequest): Promise<UpdateResponse>;
  cancel(executionId: string, body: CancelRequest): Promise<ExecutionActionResponse>;
  terminate(executionId: string, body: CancelRequest): Promise<ExecutionActionResponse>;
  batch(action: 'cancel' | 'terminate', body: BatchRequest): Promise<BatchResponse>;
  /**
   * The execution's events after `lastEventId`, live (Server-Sent Events), until the terminal
   * event or until `signal` aborts. Ends early (without error) when the connection drops: the
   * caller resumes from the last event it saw.
   */
  streamEvents(executionId: string, lastEventId: number, signal: AbortSignal): AsyncIterable<HistoryEvent>;
  register(body: RegisterWorkerRequest): Promise<RegisterWorkerResponse>;
  heartbeat(workerId: string): Promise<void>;
  poll(body: PollTasksRequest, signal?: AbortSignal): Promise<TasksResponse>;
  complete(body: CompleteTaskRequest): Promise<TasksResponse>;
  fail(body: FailTaskRequest): Promise<TasksResponse>;
  heartbeatTask(body: HeartbeatTaskRequest): Promise<HeartbeatTaskResponse>;
  /** Addition (issue 11): hands back tasks a stopping worker received and will not start. */
  releaseTasks(body: ReleaseTasksRequest): Promise<ReleaseTasksResponse>;
  /** Addition (issue 11): a page of a run's history, for a workflow task whose run this worker no longer holds. */
  taskHistory(body: TaskHistoryRequest): Promise<TaskHistoryResponse>;
  /**
   * Ends the session and hands back its tasks; `startedTokens` are the tasks this worker started
   * whose outcome was not acknowledged (only their attempts fail; the others go back undelivered).
   */
  shutdownWorker(workerId: string, startedTokens: readonly string[]): Promise<ShutdownWorkerResponse>;
  close(): Promise<void>;
}
