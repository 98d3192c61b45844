import { randomUUID } from 'node:crypto';
import { EventType, ExecutionStatus, type Failure, type NewEvent } from '#workflows/protocol';
import type { PlannedChild, PlannedChildCancel } from '../../executions/workflow-task.planner.js';
import {
  CHILD_EXECUTION_COLUMNS,
  childAlreadyStartedFailure,
  childExecutionValues,
  childClosedEvent,
  childStartEvent,
  childStartedEvent,
  emptyCascade,
  isRunningChildOf,
  parentCloseAction,
  parentClosedReason,
  startChildFailedEvent,
  type RunCascade,
} from '../child-workflow.rules.js';
import { TERMINATED_CLOSE, type RunClose } from '../execution-transition.rules.js';
import type { CreatedTask } from '../store.interface.js';
import type { ExecutionRow } from '../store.rows.js';
import type { PostgresRunWriter } from './postgres-run.writer.js';
import type { PgTx } from './postgres.transaction.js';

/**
 * The child-workflow writes of {@link PostgresRunWriter}: starting the children a completion
 * asks for, asking them to cancel, and what a run's close does beyond it (its end recorded in its
 * parent's run, its own children's parent close policy). Runs inside the caller's transaction;
 * rows of other executions are locked as they are reached, and a deadlock with a transition
 * locking them the other way round is retried by the runner.
 */
export class PostgresChildWriter {
  constructor(
    private readonly tx: PgTx,
    private readonly runs: PostgresRunWriter,
  ) {}

  /**
   * Starts the children a completion's `START_CHILD_WORKFLOW` commands ask for, each with its
   * first run and workflow task, unless its start failed (`failures`, by child id) or its
   * execution id is taken. Returns the parent's events for them (started or failed to start),
   * which the caller appends after the completion's own, and the children's tasks.
   */
  async start(
    parent: ExecutionRow,
    children: readonly PlannedChild[],
    failures: ReadonlyMap<number, Failure> | undefined,
    now: number,
  ): Promise<{ events: NewEvent[]; tasks: CreatedTask[] }> {
    const events: NewEvent[] = [];
    const tasks: CreatedTask[] = [];
    for (const child of children) {
      const failure = failures?.get(child.command.child_id);
      if (failure) {
        events.push(startChildFailedEvent(child, failure));
        continue;
      }
      const runId = randomUUID();
      // A concurrent start of the same id: the primary key lets one insert win.
      const values = childExecutionValues(parent, child, runId, now);
      const placeholders = values.map((_, index) => `$${index + 1}`).join(', ');
      const row = await this.tx.one<ExecutionRow>(
        `INSERT INTO executions (${CHILD_EXECUTION_COLUMNS}) VALUES (${placeholders}) ON CONFLICT (namespace, execution_id) DO NOTHING RETURNING *`,
        values,
      );
      if (!row) {
        const existing = await this.runs.execution(parent.namespace, child.command.execution_id);
        events.push(startChildFailedEvent(child, childAlreadyStartedFailure(child, existing ?? { run_id: 'unknown', status: ExecutionStatus.Running })));
        continue;
      }
      await this.runs.append(row, [childStartEvent(parent, child, runId)], now);
      tasks.push(await this.runs.queueWorkflowTask(row, now));
      events.push(childStartedEvent(child, runId));
    }
    return { events, tasks };
  }

  /** Asks the running children a completion's `REQUEST_CANCEL_CHILD_WORKFLOW` commands name to cancel; ended ones are left alone. */
  async cancel(parent: ExecutionRow, cancels: readonly PlannedChildCancel[], now: number): Promise<CreatedTask[]> {
    const tasks: CreatedTask[] = [];
    for (const cancel of cancels) {
      const child = await this.runs.lockExecution(parent.namespace, cancel.executionId);
      if (!isRunningChildOf(child, parent, cancel.childId)) continue;
      tasks.push(...(await this.runs.requestCancel(child, `requested by parent execution '${parent.execution_id}'`, now)));
    }
    return tasks;
  }

  /** What the close of `row` (already written) does beyond it: to its parent's run, and to its running children. */
  async afterClose(row: ExecutionRow, close: RunClose, now: number): Promise<RunCascade> {
    const cascade = emptyCascade();
    await this.notifyParent(row, close, now, cascade);
    await this.applyParentClosePolicy(row, now, cascade);
    return cascade;
  }

  /** Records a closed child's end in its parent's run, if that run is still the one that started it and still running. */
  private async notifyParent(child: ExecutionRow, close: RunClose, now: number, cascade: RunCascade): Promise<void> {
    const event = childClosedEvent(child, close);
    if (!event) return;
    const parent = await this.runs.lockExecution(child.namespace, child.parent_execution_id!);
    if (!parent || parent.run_id !== child.parent_run_id || parent.status !== ExecutionStatus.Running) return;
    await this.runs.append(parent, [event], now);
    cascade.tasks.push(...(await this.runs.ensureWorkflowTask(parent, now)));
  }

  /** Carries out the parent close policy of each running child of the closed run `parent`. */
  private async applyParentClosePolicy(parent: ExecutionRow, now: number, cascade: RunCascade): Promise<void> {
    const children = await this.tx.rows<ExecutionRow>(
      `SELECT * FROM executions WHERE parent_run_id = $1 AND status = '${ExecutionStatus.Running}' ORDER BY execution_id`,
      [parent.run_id],
    );
    const reason = parentClosedReason(parent, parent.status);
    for (const found of children) {
      const action = parentCloseAction(found);
      if (action === 'none') continue;
      // Its open tasks first, then its row, as every transition that closes a run locks them. The
      // row is locked by execution id and checked again: the child may have continued as new
      // (another run, whose open tasks are then locked too) or closed since it was read.
      if (action === 'terminate') await this.runs.lockOpenTasks(found.run_id);
      const child = await this.runs.lockExecution(found.namespace, found.execution_id);
      if (!child || child.parent_run_id !== parent.run_id || child.status !== ExecutionStatus.Running) continue;
      if (action === 'terminate' && child.run_id !== found.run_id) await this.runs.lockOpenTasks(child.run_id);
      if (action === 'terminate') {
        await this.runs.append(child, [{ event_type: EventType.WorkflowExecutionTerminated, attributes: { reason } }], now);
        const inner = await this.runs.closeRun(child, { ...TERMINATED_CLOSE, reason }, now);
        cascade.closed.push({ executionId: child.execution_id, status: ExecutionStatus.Terminated }, ...inner.closed);
        cascade.tasks.push(...inner.tasks);
      } else {
        cascade.tasks.push(...(await this.runs.requestCancel(child, reason, now)));
      }
    }
  }
}
