import { ErrorCode, EventType, ExecutionStatus, type NewEvent } from '#workflows/protocol';
import { PlatformError } from '../../errors/platform.error.js';
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
import { closedOutcome } from '../child-workflow.rules.js';
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
import type { PostgresRunWriter } from './postgres-run.writer.js';
import type { PgTx } from './postgres.transaction.js';

/**
 * The transitions of {@link PostgresStore} that start an execution or act on it from outside:
 * signals (signal-with-start too), cancellation requests, termination and updates. Each runs
 * inside the store's transaction and locks the execution row before it appends; termination
 * locks the run's open tasks first, since it closes them.
 */
export class PostgresExecutionTransitions {
  constructor(
    private readonly tx: PgTx,
    private readonly writer: PostgresRunWriter,
  ) {}

  /** Starts an execution, or signals the existing one for signal-with-start (see `Store.startExecution`). */
  async start(params: StartExecutionParams): Promise<StartExecutionOutcome> {
    // Concurrent duplicate starts: the primary key lets one insert win; the others read its row.
    const row = await this.tx.one<ExecutionRow>(
      `INSERT INTO executions (namespace, execution_id, run_id, workflow_name, deployment_name, parent_execution_id,
         root_execution_id, status, input, result, failure, start_time, end_time, last_event_id)
       VALUES ($1, $2, $3, $4, $5, NULL, $2, $6, $7, NULL, NULL, $8, NULL, 0)
       ON CONFLICT (namespace, execution_id) DO NOTHING
       RETURNING *`,
      [params.namespace, params.executionId, params.runId, params.workflowName, params.deploymentName, ExecutionStatus.Running, toJson(params.input), params.now],
    );
    if (!row) {
      const existing = params.signal
        ? await this.writer.lockExecution(params.namespace, params.executionId)
        : await this.writer.execution(params.namespace, params.executionId);
      if (!existing) throw new PlatformError(ErrorCode.Internal, `execution ${params.executionId} conflicted but cannot be read`);
      return this.startExisting(existing, params);
    }
    await this.writer.append(row, startEvents(params), params.now);
    const task = await this.writer.queueWorkflowTask(row, params.now);
    return { execution: toExecutionRecord(row), created: true, tasks: [task], ...(params.signal ? { signaled: true } : {}) };
  }

  /** Appends `WORKFLOW_EXECUTION_SIGNALED` and makes sure a workflow task follows. */
  async signal(params: SignalExecutionParams): Promise<ExternalEventOutcome> {
    const row = existingExecution(await this.writer.lockExecution(params.namespace, params.executionId), params.executionId);
    checkRunning(row);
    return this.appendExternal(row, signaledEvent(params.signalName, params.input), params.now);
  }

  /** Appends `WORKFLOW_EXECUTION_CANCEL_REQUESTED` once per run and makes sure a workflow task follows. */
  async requestCancel(params: ExecutionActionParams): Promise<ExternalEventOutcome> {
    const row = existingExecution(await this.writer.lockExecution(params.namespace, params.executionId), params.executionId);
    checkRunning(row);
    const lastEventId = row.last_event_id;
    const tasks = await this.writer.requestCancel(row, params.reason, params.now);
    return { execution: toExecutionRecord(row), appended: row.last_event_id !== lastEventId, tasks };
  }

  /** Ends the run at once: `WORKFLOW_EXECUTION_TERMINATED`, status `TERMINATED`, its tasks closed. */
  async terminate(params: ExecutionActionParams): Promise<ExternalEventOutcome> {
    const found = existingExecution(await this.writer.execution(params.namespace, params.executionId), params.executionId);
    await this.writer.lockOpenTasks(found.run_id);
    const row = await this.writer.lockRun(found.run_id);
    checkRunning(row);
    await this.writer.append(row, [terminatedEvent(params)], params.now);
    const cascade = await this.writer.closeRun(row, { ...TERMINATED_CLOSE, reason: params.reason }, params.now);
    return { execution: toExecutionRecord(row), appended: true, ...closedOutcome(row.execution_id, ExecutionStatus.Terminated, cascade) };
  }

  /** Appends `WORKFLOW_EXECUTION_UPDATE_ACCEPTED` unless the run accepted that update id already. */
  async acceptUpdate(params: AcceptUpdateParams): Promise<ExternalEventOutcome> {
    const row = existingExecution(await this.writer.lockExecution(params.namespace, params.executionId), params.executionId);
    const accepted = await this.tx.one(
      `SELECT 1 FROM history_events WHERE run_id = $1 AND update_id = $2 AND event_type = '${EventType.WorkflowExecutionUpdateAccepted}'`,
      [row.run_id, params.updateId],
    );
    if (accepted) return { execution: toExecutionRecord(row), appended: false, tasks: [] };
    checkRunning(row);
    return this.appendExternal(row, updateAcceptedEvent(params), params.now);
  }

  /** Where an update stands; `null` when the execution or the update id is unknown. */
  async updateOutcome(namespace: string, executionId: string, updateId: string): Promise<UpdateOutcome | null> {
    const row = await this.writer.execution(namespace, executionId);
    if (!row) return null;
    const rows = await this.tx.rows<UpdateEventRow>(
      'SELECT event_id, event_type, attributes FROM history_events WHERE run_id = $1 AND update_id = $2 ORDER BY event_id',
      [row.run_id, updateId],
    );
    return updateOutcome(rows, row.status);
  }

  /** Signal-with-start of an existing execution (locked): signals it while it runs, writes nothing once it closed. */
  private async startExisting(row: ExecutionRow, params: StartExecutionParams): Promise<StartExecutionOutcome> {
    if (!params.signal) return { execution: toExecutionRecord(row), created: false, tasks: [] };
    if (row.status !== ExecutionStatus.Running) return { execution: toExecutionRecord(row), created: false, tasks: [], signaled: false };
    const { execution, tasks } = await this.appendExternal(row, signaledEvent(params.signal.name, params.signal.input), params.now);
    return { execution, created: false, tasks, signaled: true };
  }

  /** Appends an event sent from outside the workflow (the row locked) and makes sure a workflow task follows. */
  private async appendExternal(row: ExecutionRow, event: NewEvent, now: number): Promise<ExternalEventOutcome> {
    await this.writer.append(row, [event], now);
    return { execution: toExecutionRecord(row), appended: true, tasks: await this.writer.ensureWorkflowTask(row, now) };
  }
}
