import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  ErrorCode,
  type Clock,
  type ExecuteWorkflowRequest,
  type ExecutionWire,
  type HistoryPageWire,
  type RunsPageWire,
  type WorkflowWire,
} from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';
import { ResultWaiters } from '../matching/result.waiters.js';
import { TransitionPublisher } from '../matching/transition.publisher.js';
import { CLOCK, STORE } from '../platform.constants.js';
import type { ExecutionFilter, ExecutionRecord, Store } from '../store/store.interface.js';
import { isClosed, toExecutionWire } from './execution.mapper.js';

/** Registered workflows and executions, as the public API sees them. */
@Injectable()
export class ExecutionsService {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly publisher: TransitionPublisher,
    private readonly results: ResultWaiters,
  ) {}

  /** The namespace's registered workflows. */
  async listWorkflows(namespace: string): Promise<WorkflowWire[]> {
    return this.store.listWorkflows(namespace, this.clock.now());
  }

  /** One registered workflow; `WF_WORKFLOW_NOT_FOUND` when the namespace never registered it. */
  async getWorkflow(namespace: string, name: string): Promise<WorkflowWire> {
    const workflow = await this.store.getWorkflow(namespace, name, this.clock.now());
    if (!workflow) throw workflowNotFound(name);
    return workflow;
  }

  /**
   * Starts an execution of a registered workflow. With `wait_for_result`, holds until it
   * closes or the timeout passes (`waited` is then true: the API answers 200, not 201).
   */
  async execute(
    namespace: string,
    workflowName: string,
    request: ExecuteWorkflowRequest,
    timeoutSeconds: number,
    signal?: AbortSignal,
  ): Promise<{ execution: ExecutionWire; waited: boolean }> {
    const workflow = await this.getWorkflow(namespace, workflowName);
    const deploymentName = request.deployment_name ?? null;
    if (deploymentName !== null && !workflow.deployments.includes(deploymentName)) {
      throw new PlatformError(ErrorCode.WorkflowNotFound, `workflow '${workflowName}' is not registered in deployment '${deploymentName}'`);
    }
    const outcome = await this.store.startExecution({
      namespace,
      executionId: request.execution_id ?? randomUUID(),
      runId: randomUUID(),
      workflowName,
      deploymentName,
      input: request.input ?? null,
      now: this.clock.now(),
    });
    if (!outcome.created) {
      throw new PlatformError(
        ErrorCode.ExecutionAlreadyStarted,
        `execution '${outcome.execution.executionId}' already started (run_id ${outcome.execution.runId})`,
      );
    }
    this.publisher.publish(namespace, outcome);
    if (!request.wait_for_result) return { execution: toExecutionWire(outcome.execution), waited: false };
    const execution = await this.waitForClose(namespace, outcome.execution, timeoutSeconds, signal);
    return { execution: toExecutionWire(execution), waited: true };
  }

  /** The execution; with `waitSeconds`, held until it closes or the wait ends. */
  async getExecution(namespace: string, executionId: string, waitSeconds = 0, signal?: AbortSignal): Promise<ExecutionWire> {
    const execution = await this.store.getExecution(namespace, executionId);
    if (!execution) throw executionNotFound(executionId);
    if (waitSeconds <= 0 || isClosed(execution)) return toExecutionWire(execution);
    return toExecutionWire(await this.waitForClose(namespace, execution, waitSeconds, signal));
  }

  /** A page of the execution's history; the token is the last event id given. */
  async history(namespace: string, executionId: string, afterEventId: number, pageSize: number): Promise<HistoryPageWire> {
    const events = await this.store.readHistory(namespace, executionId, afterEventId, pageSize + 1);
    if (!events) throw executionNotFound(executionId);
    const page = events.slice(0, pageSize);
    const more = events.length > pageSize;
    return { events: page, next_page_token: more ? String(page[page.length - 1]!.event_id) : null };
  }

  /** A page of the namespace's executions, newest first. */
  async runs(namespace: string, filter: ExecutionFilter, pageSize: number, cursor?: string): Promise<RunsPageWire> {
    const page = await this.store.listExecutions(namespace, filter, cursor === undefined ? { pageSize } : { pageSize, cursor });
    return { executions: page.items.map(toExecutionWire), next_page_token: page.nextCursor };
  }

  private async waitForClose(namespace: string, execution: ExecutionRecord, seconds: number, signal?: AbortSignal): Promise<ExecutionRecord> {
    let latest = execution;
    await this.results.waitForClose(
      namespace,
      execution.executionId,
      seconds * 1000,
      async () => {
        latest = (await this.store.getExecution(namespace, execution.executionId)) ?? latest;
        return isClosed(latest);
      },
      signal,
    );
    return (await this.store.getExecution(namespace, execution.executionId)) ?? latest;
  }
}

function workflowNotFound(name: string): PlatformError {
  return new PlatformError(ErrorCode.WorkflowNotFound, `workflow '${name}' is not registered in this namespace`);
}

function executionNotFound(executionId: string): PlatformError {
  return new PlatformError(ErrorCode.ExecutionNotFound, `execution '${executionId}' not found`);
}
