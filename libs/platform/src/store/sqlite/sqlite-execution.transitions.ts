import { EventType, ExecutionStatus, type NewEvent } from '#workflows/protocol';
import {
  TERMINATED_CLOSE,
  checkRunning,
  existingExecution,
  signaledEvent,
  startEvents,
  terminatedEvent,
  updateAcceptedEvent,
  updateOutcome,
  type UpdateEventRow,
} from '../execution-transition.rules.js';
import type {
  AcceptUpdateParams,
  ExecutionActionParams,
  ExternalEventOutcome,
  SignalExecutionParams,
  StartExecutionOutcome,
  StartExecutionParams,
  UpdateOutcome,
} from '../store.interface.js';
import { toExecutionRecord, toJson, type ExecutionRow } from '../store.rows.js';
import { closedOutcome } from '../child-workflow.rules.js';
import type { SqliteRunWriter } from './sqlite-run.writer.js';
import type { SqliteStatements } from './sqlite.statements.js';

/**
 * The transitions of {@link SqliteStore} that start an execution or act on it from outside:
 * signals (signal-with-start too), cancellation requests, termination and updates. Each method
 * runs inside the store's transaction.
 */
export class SqliteExecutionTransitions {
  constructor(
    private readonly statements: SqliteStatements,
    private readonly writer: SqliteRunWriter,
  ) {}

  /** Starts an execution, or signals the existing one for signal-with-start (see `Store.startExecution`). */
  start(params: StartExecutionParams): StartExecutionOutcome {
    const existing = this.writer.execution(params.namespace, params.executionId);
    if (existing) return this.startExisting(existing, params);
    this.statements
      .get(
        `INSERT INTO executions (namespace, execution_id, run_id, workflow_name, deployment_name, parent_execution_id,
           root_execution_id, status, input, result, failure, start_time, end_time, last_event_id)
         VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, NULL, NULL, ?, NULL, 0)`,
      )
      .run(
        params.namespace,
        params.executionId,
        params.runId,
        params.workflowName,
        params.deploymentName,
        params.executionId,
        ExecutionStatus.Running,
        toJson(params.input),
        params.now,
      );
    const row = this.writer.execution(params.namespace, params.executionId)!;
    this.writer.append(row, startEvents(params), params.now);
    const task = this.writer.queueWorkflowTask(row, params.now);
    return { execution: toExecutionRecord(row), created: true, tasks: [task], ...(params.signal ? { signaled: true } : {}) };
  }

  /** Appends `WORKFLOW_EXECUTION_SIGNALED` and makes sure a workflow task follows. */
  signal(params: SignalExecutionParams): ExternalEventOutcome {
    const row = existingExecution(this.writer.execution(params.namespace, params.executionId), params.executionId);
    checkRunning(row);
    return this.appendExternal(row, signaledEvent(params.signalName, params.input), params.now);
  }

  /** Appends `WORKFLOW_EXECUTION_CANCEL_REQUESTED` once per run and makes sure a workflow task follows. */
  requestCancel(params: ExecutionActionParams): ExternalEventOutcome {
    const row = existingExecution(this.writer.execution(params.namespace, params.executionId), params.executionId);
    checkRunning(row);
    const lastEventId = row.last_event_id;
    const tasks = this.writer.requestCancel(row, params.reason, params.now);
    return { execution: toExecutionRecord(row), appended: row.last_event_id !== lastEventId, tasks };
  }

  /** Ends the run at once: `WORKFLOW_EXECUTION_TERMINATED`, status `TERMINATED`, its tasks closed. */
  terminate(params: ExecutionActionParams): ExternalEventOutcome {
    const row = existingExecution(this.writer.execution(params.namespace, params.executionId), params.executionId);
    checkRunning(row);
    this.writer.append(row, [terminatedEvent(params)], params.now);
    const cascade = this.writer.closeRun(row, { ...TERMINATED_CLOSE, reason: params.reason }, params.now);
    return { execution: toExecutionRecord(row), appended: true, ...closedOutcome(row.execution_id, ExecutionStatus.Terminated, cascade) };
  }

  /** Appends `WORKFLOW_EXECUTION_UPDATE_ACCEPTED` unless the run accepted that update id already. */
  acceptUpdate(params: AcceptUpdateParams): ExternalEventOutcome {
    const row = existingExecution(this.writer.execution(params.namespace, params.executionId), params.executionId);
    const accepted = this.statements
      .get(`SELECT 1 FROM history_events WHERE run_id = ? AND update_id = ? AND event_type = '${EventType.WorkflowExecutionUpdateAccepted}'`)
      .get(row.run_id, params.updateId);
    if (accepted) return { execution: toExecutionRecord(row), appended: false, tasks: [] };
    checkRunning(row);
    return this.appendExternal(row, updateAcceptedEvent(params), params.now);
  }

  /** Where an update stands; `null` when the execution or the update id is unknown. */
  updateOutcome(namespace: string, executionId: string, updateId: string): UpdateOutcome | null {
    const row = this.writer.execution(namespace, executionId);
    if (!row) return null;
    const rows = this.statements
      .get('SELECT event_id, event_type, attributes FROM history_events WHERE run_id = ? AND update_id = ? ORDER BY event_id')
      .all(row.run_id, updateId) as UpdateEventRow[];
    return updateOutcome(rows, row.status);
  }

  /** Signal-with-start of an existing execution: signals it while it runs, writes nothing once it closed. */
  private startExisting(row: ExecutionRow, params: StartExecutionParams): StartExecutionOutcome {
    if (!params.signal) return { execution: toExecutionRecord(row), created: false, tasks: [] };
    if (row.status !== ExecutionStatus.Running) return { execution: toExecutionRecord(row), created: false, tasks: [], signaled: false };
    const { execution, tasks } = this.appendExternal(row, signaledEvent(params.signal.name, params.signal.input), params.now);
    return { execution, created: false, tasks, signaled: true };
  }

  /** Appends an event sent from outside the workflow and makes sure a workflow task follows. */
  private appendExternal(row: ExecutionRow, event: NewEvent, now: number): ExternalEventOutcome {
    this.writer.append(row, [event], now);
    return { execution: toExecutionRecord(row), appended: true, tasks: this.writer.ensureWorkflowTask(row, now) };
  }
}
