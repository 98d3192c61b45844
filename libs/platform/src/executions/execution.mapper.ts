import {
  ExecutionStatus,
  type ExecutionWire,
  type HandlerRegistrationWire,
  type HandlerWire,
  type WorkflowDetailWire,
} from '#workflows/protocol';
import type { ExecutionRecord, WorkflowRegistration } from '../store/store.interface.js';

/** An execution record in its wire shape (snake_case, ISO times). */
export function toExecutionWire(record: ExecutionRecord): ExecutionWire {
  return {
    workflow_name: record.workflowName,
    deployment_name: record.deploymentName,
    execution_id: record.executionId,
    run_id: record.runId,
    parent_execution_id: record.parentExecutionId,
    root_execution_id: record.rootExecutionId,
    status: record.status,
    start_time: new Date(record.startTime).toISOString(),
    end_time: record.endTime === null ? null : new Date(record.endTime).toISOString(),
    total_duration_ms: record.endTime === null ? null : record.endTime - record.startTime,
    result: record.result,
    failure: record.failure,
    ...(record.pendingTaskFailure === undefined ? {} : { workflow_task_failure: record.pendingTaskFailure }),
  };
}

/** Whether the execution has reached a terminal status. */
export function isClosed(record: ExecutionRecord): boolean {
  return record.status !== ExecutionStatus.Running;
}

/** A registration as `GET /v1/workflows/{workflow_identifier}` shows it: empty lists and `null` where nothing was declared. */
export function toWorkflowDetailWire(workflow: WorkflowRegistration): WorkflowDetailWire {
  const definition = workflow.definition ?? null;
  const handlers = (list: readonly HandlerRegistrationWire[] | undefined): HandlerWire[] =>
    (list ?? []).map((handler) => ({ name: handler.name, input_schema: handler.input_schema ?? null }));
  return {
    name: workflow.name,
    deployments: workflow.deployments,
    active: workflow.active,
    input_schema: definition?.input_schema ?? null,
    signals: handlers(definition?.signals),
    queries: handlers(definition?.queries),
    updates: handlers(definition?.updates),
  };
}
