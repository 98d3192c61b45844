import { ExecutionStatus, type ExecutionWire } from '#workflows/protocol';
import type { ExecutionRecord } from '../store/store.interface.js';

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
  };
}

/** Whether the execution has reached a terminal status. */
export function isClosed(record: ExecutionRecord): boolean {
  return record.status !== ExecutionStatus.Running;
}
