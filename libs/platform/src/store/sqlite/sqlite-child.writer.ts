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
import type { SqliteRunWriter } from './sqlite-run.writer.js';
import type { SqliteStatements } from './sqlite.statements.js';

/**
 * The child-workflow writes of {@link SqliteRunWriter}: starting the children a completion asks
 * for, asking them to cancel, and what a run's close does beyond it (its end recorded in its
 * parent's run, its own children's parent close policy). Runs inside the caller's transaction.
 */
export class SqliteChildWriter {
  constructor(
    private readonly statements: SqliteStatements,
    private readonly runs: SqliteRunWriter,
  ) {}

  /**
   * Starts the children a completion's `START_CHILD_WORKFLOW` commands ask for, each with its
   * first run and workflow task, unless its start failed (`failures`, by child id) or its
   * execution id is taken. Returns the parent's events for them (started or failed to start),
   * which the caller appends after the completion's own, and the children's tasks.
   */
  start(parent: ExecutionRow, children: readonly PlannedChild[], failures: ReadonlyMap<number, Failure> | undefined, now: number): { events: NewEvent[]; tasks: CreatedTask[] } {
    const events: NewEvent[] = [];
    const tasks: CreatedTask[] = [];
    for (const child of children) {
      const failure = failures?.get(child.command.child_id);
      const existing = failure ? undefined : this.runs.execution(parent.namespace, child.command.execution_id);
      if (failure || existing) {
        events.push(startChildFailedEvent(child, failure ?? childAlreadyStartedFailure(child, existing!)));
        continue;
      }
      const runId = randomUUID();
      const values = childExecutionValues(parent, child, runId, now);
      this.statements.get(`INSERT INTO executions (${CHILD_EXECUTION_COLUMNS}) VALUES (${values.map(() => '?').join(', ')})`).run(...values);
      const row = this.runs.execution(parent.namespace, child.command.execution_id)!;
      this.runs.append(row, [childStartEvent(parent, child, runId)], now);
      tasks.push(this.runs.queueWorkflowTask(row, now));
      events.push(childStartedEvent(child, runId));
    }
    return { events, tasks };
  }

  /** Asks the running children a completion's `REQUEST_CANCEL_CHILD_WORKFLOW` commands name to cancel; ended ones are left alone. */
  cancel(parent: ExecutionRow, cancels: readonly PlannedChildCancel[], now: number): CreatedTask[] {
    const tasks: CreatedTask[] = [];
    for (const cancel of cancels) {
      const child = this.runs.execution(parent.namespace, cancel.executionId);
      if (!isRunningChildOf(child, parent, cancel.childId)) continue;
      tasks.push(...this.runs.requestCancel(child, `requested by parent execution '${parent.execution_id}'`, now));
    }
    return tasks;
  }

  /** What the close of `row` (already written) does beyond it: to its parent's run, and to its running children. */
  afterClose(row: ExecutionRow, close: RunClose, now: number): RunCascade {
    const cascade = emptyCascade();
    this.notifyParent(row, close, now, cascade);
    this.applyParentClosePolicy(row, now, cascade);
    return cascade;
  }

  /** Records a closed child's end in its parent's run, if that run is still the one that started it and still running. */
  private notifyParent(child: ExecutionRow, close: RunClose, now: number, cascade: RunCascade): void {
    const event = childClosedEvent(child, close);
    if (!event) return;
    const parent = this.runs.execution(child.namespace, child.parent_execution_id!);
    if (!parent || parent.run_id !== child.parent_run_id || parent.status !== ExecutionStatus.Running) return;
    this.runs.append(parent, [event], now);
    cascade.tasks.push(...this.runs.ensureWorkflowTask(parent, now));
  }

  /** Carries out the parent close policy of each running child of the closed run `parent`. */
  private applyParentClosePolicy(parent: ExecutionRow, now: number, cascade: RunCascade): void {
    const children = this.statements
      .get(`SELECT * FROM executions WHERE parent_run_id = ? AND status = '${ExecutionStatus.Running}' ORDER BY execution_id`)
      .all(parent.run_id) as ExecutionRow[];
    const reason = parentClosedReason(parent, parent.status);
    for (const child of children) {
      const action = parentCloseAction(child);
      if (action === 'terminate') {
        this.runs.append(child, [{ event_type: EventType.WorkflowExecutionTerminated, attributes: { reason } }], now);
        const inner = this.runs.closeRun(child, { ...TERMINATED_CLOSE, reason }, now);
        cascade.closed.push({ executionId: child.execution_id, status: ExecutionStatus.Terminated }, ...inner.closed);
        cascade.tasks.push(...inner.tasks);
      } else if (action === 'request_cancel') {
        cascade.tasks.push(...this.runs.requestCancel(child, reason, now));
      }
    }
  }
}
