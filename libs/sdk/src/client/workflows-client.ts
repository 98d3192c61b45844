import { ExecutionStatus, type BatchResponse, type JsonValue, type WhoAmIWire, type WorkflowDetailWire } from '#workflows/protocol';
import { toJsonPayload } from '../runtime/payload.js';
import { workflowNameOf as workflowName, type WorkflowReference } from '../runtime/workflow-reference.js';
import { HttpPlatformTransport } from '../transport/http-platform.transport.js';
import type { PlatformTransport } from '../transport/platform-transport.js';
import { WorkflowHandle, resultOf } from './workflow-handle.js';

export type { WorkflowReference };

/** Options of {@link WorkflowsClient.start}. */
export interface StartWorkflowOptions {
  /** The workflow's input, passed to its `@Run()` method. */
  input?: unknown;
  /** A caller-chosen id; starting the same id twice is refused. @default a UUID */
  executionId?: string;
  /** Only workers of this deployment run it. */
  deploymentName?: string;
}

/** Options of a standalone client (outside a Nest app). */
export interface WorkflowsClientOptions {
  /** @default env `SERVER_URL` */
  serverUrl?: string;
  /** @default env `MISTRAL_API_KEY` */
  apiKey?: string;
}

/**
 * Starts executions and reads them. Injectable wherever `WorkflowsModule` is imported, or
 * standalone with {@link WorkflowsClient.connect}.
 */
export class WorkflowsClient {
  constructor(
    private readonly transport: PlatformTransport,
    private readonly ownsTransport = false,
  ) {}

  /** A client of its own connection; call `close()` when done. */
  static connect(options: WorkflowsClientOptions = {}): WorkflowsClient {
    const serverUrl = options.serverUrl ?? process.env.SERVER_URL;
    const apiKey = options.apiKey ?? process.env.MISTRAL_API_KEY;
    if (!serverUrl || !apiKey) {
      throw new Error('WorkflowsClient.connect() needs serverUrl and apiKey (or SERVER_URL and MISTRAL_API_KEY)');
    }
    return new WorkflowsClient(new HttpPlatformTransport({ baseUrl: serverUrl, apiKey }), true);
  }

  /** Starts an execution and returns its handle without waiting. */
  async start<TResult = unknown>(workflow: WorkflowReference, options: StartWorkflowOptions = {}): Promise<WorkflowHandle<TResult>> {
    const execution = await this.transport.execute(workflowName(workflow), {
      input: toJsonPayload(options.input, 'input') as JsonValue,
      execution_id: options.executionId,
      deployment_name: options.deploymentName,
    });
    return new WorkflowHandle<TResult>(this.transport, execution.execution_id);
  }

  /** Starts an execution and waits for its result; throws `WorkflowFailedError` if it fails. */
  async execute<TResult = unknown>(workflow: WorkflowReference, options: StartWorkflowOptions = {}): Promise<TResult> {
    const execution = await this.transport.execute(workflowName(workflow), {
      input: toJsonPayload(options.input, 'input') as JsonValue,
      execution_id: options.executionId,
      deployment_name: options.deploymentName,
      wait_for_result: true,
      timeout_seconds: 60,
    });
    if (execution.status !== ExecutionStatus.Running) return resultOf<TResult>(execution);
    return new WorkflowHandle<TResult>(this.transport, execution.execution_id).result();
  }

  /**
   * Signal-with-start: sends the signal to the execution `options.executionId`, starting it
   * first (with `options.input`) when it does not exist. Returns its handle.
   */
  async signalWithStart<TResult = unknown>(
    workflow: WorkflowReference,
    options: StartWorkflowOptions & { executionId: string; signal: string; signalInput?: unknown },
  ): Promise<WorkflowHandle<TResult>> {
    const execution = await this.transport.execute(workflowName(workflow), {
      input: toJsonPayload(options.input, 'input') as JsonValue,
      execution_id: options.executionId,
      deployment_name: options.deploymentName,
      signal: { name: options.signal, input: toJsonPayload(options.signalInput, 'signal input') },
    });
    return new WorkflowHandle<TResult>(this.transport, execution.execution_id);
  }

  /** Asks several executions to cancel; one result per id, in order. */
  cancelMany(executionIds: string[], reason?: string): Promise<BatchResponse> {
    return this.transport.batch('cancel', { execution_ids: executionIds, ...(reason === undefined ? {} : { reason }) });
  }

  /** Terminates several executions; one result per id, in order. */
  terminateMany(executionIds: string[], reason?: string): Promise<BatchResponse> {
    return this.transport.batch('terminate', { execution_ids: executionIds, ...(reason === undefined ? {} : { reason }) });
  }

  /** A registered workflow: its input schema and its signal, query and update handlers. */
  describeWorkflow(workflow: WorkflowReference): Promise<WorkflowDetailWire> {
    return this.transport.getWorkflow(workflowName(workflow));
  }

  /** A handle on an existing execution. */
  getHandle<TResult = unknown>(executionId: string): WorkflowHandle<TResult> {
    return new WorkflowHandle<TResult>(this.transport, executionId);
  }

  /** Where this client is connected: `{scheduler_url, namespace, tls}`. */
  whoami(): Promise<WhoAmIWire> {
    return this.transport.whoami();
  }

  /** Closes the connection of a client made by {@link WorkflowsClient.connect}; the injected client's is the app's. */
  async close(): Promise<void> {
    if (this.ownsTransport) await this.transport.close();
  }
}
