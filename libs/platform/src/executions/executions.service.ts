import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  ErrorCode,
  type Clock,
  type ExecuteWorkflowRequest,
  type ExecutionWire,
  type HistoryPageWire,
  type RunsPageWire,
  type WorkflowDetailWire,
  type WorkflowWire,
} from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';
import { ExecutionWaiters } from '../matching/execution.waiters.js';
import { TaskMatcher } from '../matching/task.matcher.js';
import { TransitionPublisher } from '../matching/transition.publisher.js';
import { CLOCK, STORE } from '../platform.constants.js';
import type { ExecutionFilter, ExecutionRecord, StartExecutionOutcome, Store, WorkflowRegistration } from '../store/store.interface.js';
import { PayloadValidator } from '../validation/payload.validator.js';
import { executionClosed, executionNotFound } from './execution.errors.js';
import { isClosed, toExecutionWire, toWorkflowDetailWire } from './execution.mapper.js';

/** Registered workflows and executions, as the public API sees them. */
@Injectable()
export class ExecutionsService {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly publisher: TransitionPublisher,
    private readonly waiters: ExecutionWaiters,
    private readonly validator: PayloadValidator,
    private readonly matcher: TaskMatcher,
  ) {}

  /** The namespace's registered workflows. */
  async listWorkflows(namespace: string): Promise<WorkflowWire[]> {
    const workflows = await this.store.listWorkflows(namespace, this.clock.now());
    return workflows.map(({ name, deployments, active }) => ({ name, deployments, active }));
  }

  /**
   * One registered workflow with its input schema and handlers as last registered;
   * `WF_WORKFLOW_NOT_FOUND` when the namespace never registered it.
   */
  async getWorkflow(namespace: string, name: string): Promise<WorkflowDetailWire> {
    return toWorkflowDetailWire(await this.registration(namespace, name));
  }

  /**
   * Starts an execution of a registered workflow, its input checked against the registered
   * schema first. With `signal` (signal-with-start), an existing running execution is signalled
   * instead (`created` false); a closed one is `WF_EXECUTION_CLOSED`. With `wait_for_result`,
   * holds until it closes or the timeout passes (`waited` is then true).
   */
  async execute(
    namespace: string,
    workflowName: string,
    request: ExecuteWorkflowRequest,
    timeoutSeconds: number,
    signal?: AbortSignal,
  ): Promise<{ execution: ExecutionWire; created: boolean; waited: boolean }> {
    const deploymentName = request.deployment_name ?? null;
    let workflow = await this.registration(namespace, workflowName);
    if (deploymentName !== null) {
      if (!workflow.deployments.includes(deploymentName)) {
        throw new PlatformError(ErrorCode.WorkflowNotFound, `workflow '${workflowName}' is not registered in deployment '${deploymentName}'`);
      }
      // The schemas the pinned deployment registered, which may differ from the latest registration's.
      workflow = await this.registration(namespace, workflowName, deploymentName);
    }
    this.validator.checkStartInput(workflow, request.input ?? null);
    if (request.signal) this.validator.checkRegisteredHandler(workflow, 'signal', request.signal.name, request.signal.input ?? null, 'signal.input');
    const executionId = request.execution_id ?? randomUUID();
    if (request.signal && request.execution_id !== undefined) await this.refuseOtherWorkflow(namespace, executionId, workflowName);
    // Sync match: a poll waiting for such a task is leased the new workflow task in the start's own transaction.
    const match = this.matcher.matchWaiting(namespace, { kind: 'workflow', name: workflowName, deploymentName });
    let outcome: StartExecutionOutcome | undefined;
    try {
      outcome = await this.store.startExecution({
        namespace,
        executionId,
        runId: randomUUID(),
        workflowName,
        deploymentName,
        input: request.input ?? null,
        now: this.clock.now(),
        ...(request.signal ? { signal: { name: request.signal.name, input: request.signal.input ?? null } } : {}),
        ...(match ? { next: match.claim } : {}),
      });
    } finally {
      // Always: a poll matched for nothing claims again.
      match?.deliver(outcome?.leased ?? []);
    }
    if (!outcome.created) {
      const existing = outcome.execution;
      if (!request.signal) {
        throw new PlatformError(ErrorCode.ExecutionAlreadyStarted, `execution '${existing.executionId}' already started (run_id ${existing.runId})`);
      }
      if (!outcome.signaled) throw executionClosed(existing, `signal '${request.signal.name}'`);
    }
    this.publisher.publish(namespace, outcome);
    if (!request.wait_for_result) return { execution: toExecutionWire(outcome.execution), created: outcome.created, waited: false };
    const execution = await this.waitForClose(namespace, outcome.execution, timeoutSeconds, signal);
    return { execution: toExecutionWire(execution), created: outcome.created, waited: true };
  }

  /** The execution; with `waitSeconds`, held until it closes or the wait ends. */
  async getExecution(namespace: string, executionId: string, waitSeconds = 0, signal?: AbortSignal): Promise<ExecutionWire> {
    const execution = await this.store.getExecution(namespace, executionId);
    if (!execution) throw executionNotFound(executionId);
    if (waitSeconds <= 0 || isClosed(execution)) return toExecutionWire(execution);
    return toExecutionWire(await this.waitForClose(namespace, execution, waitSeconds, signal));
  }

  /**
   * A page of the history of the execution's current run, or of `runId` (a run it continued as
   * new from); the token is the last event id given.
   */
  async history(namespace: string, executionId: string, afterEventId: number, pageSize: number, runId?: string): Promise<HistoryPageWire> {
    const events = await this.store.readHistory(namespace, executionId, afterEventId, pageSize + 1, runId);
    if (!events && runId !== undefined && (await this.store.getExecution(namespace, executionId))) {
      throw new PlatformError(ErrorCode.ExecutionNotFound, `execution '${executionId}' has no run '${runId}'`);
    }
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

  private async registration(namespace: string, name: string, deploymentName?: string | null): Promise<WorkflowRegistration> {
    const workflow = await this.store.getWorkflow(namespace, name, this.clock.now(), deploymentName);
    if (!workflow) throw workflowNotFound(name);
    return workflow;
  }

  /** Signal-with-start names its workflow: an existing execution of another workflow is not signalled. */
  private async refuseOtherWorkflow(namespace: string, executionId: string, workflowName: string): Promise<void> {
    const existing = await this.store.getExecution(namespace, executionId);
    if (existing && existing.workflowName !== workflowName) {
      throw new PlatformError(
        ErrorCode.ExecutionAlreadyStarted,
        `execution '${executionId}' already started as workflow '${existing.workflowName}', not '${workflowName}' (run_id ${existing.runId})`,
      );
    }
  }

  private async waitForClose(namespace: string, execution: ExecutionRecord, seconds: number, signal?: AbortSignal): Promise<ExecutionRecord> {
    let latest = execution;
    const options = { timeoutMs: seconds * 1000, wakeOn: 'close' as const, ...(signal ? { signal } : {}) };
    await this.waiters.waitFor(namespace, execution.executionId, options, async () => {
      latest = (await this.store.getExecution(namespace, execution.executionId)) ?? latest;
      return isClosed(latest);
    });
    return (await this.store.getExecution(namespace, execution.executionId)) ?? latest;
  }
}

function workflowNotFound(name: string): PlatformError {
  return new PlatformError(ErrorCode.WorkflowNotFound, `workflow '${name}' is not registered in this namespace`);
}
