import { existingExecution } from '../execution-transition.rules.js';
import { queryAnswerOf, queryAnswerText, queryTaskPayload } from '../query-task.rules.js';
import type { ExecutionChanges } from '../store-results.js';
import type { CreatedQuery, CreateQueryParams, QueryAnswer, QueryTaskAnswer, TransitionOutcome } from '../store.interface.js';
import { toExecutionRecord, type TaskRow } from '../store.rows.js';
import { DUPLICATE_OUTCOME, checkLeasedTask } from '../task-transition.rules.js';
import type { SqliteRunWriter } from './sqlite-run.writer.js';
import type { SqliteStatements } from './sqlite.statements.js';

/**
 * The query transitions of {@link SqliteStore}: queue a query task, record its answer, read it,
 * abandon it. Queries never append events. Each method runs inside the store's transaction.
 */
export class SqliteQueryTransitions {
  constructor(
    private readonly statements: SqliteStatements,
    private readonly writer: SqliteRunWriter,
    private readonly changes: ExecutionChanges,
  ) {}

  /** Queues a query task on the execution's current run, due at `deadlineAt`. */
  create(params: CreateQueryParams): CreatedQuery {
    const row = existingExecution(this.writer.execution(params.namespace, params.executionId), params.executionId);
    const { lastInsertRowid } = this.statements
      .get(
        `INSERT INTO tasks (namespace, kind, execution_id, run_id, name, deployment_name, state, attempt, visible_at, payload, deadline_at)
         VALUES (?, 'query', ?, ?, ?, ?, 'queued', 1, ?, ?, ?)`,
      )
      .run(row.namespace, row.execution_id, row.run_id, row.workflow_name, row.deployment_name, params.now, queryTaskPayload(params), params.deadlineAt);
    return {
      taskId: Number(lastInsertRowid),
      task: { kind: 'query', name: row.workflow_name, deploymentName: row.deployment_name, visibleAt: params.now },
      execution: toExecutionRecord(row),
    };
  }

  /** Records a leased query's answer and closes it; a retry of the same answer changes nothing. */
  answer(answer: QueryTaskAnswer): TransitionOutcome {
    const found = this.statements.get('SELECT * FROM tasks WHERE id = ?').get(answer.token.taskId) as TaskRow | undefined;
    const task = checkLeasedTask(found, answer, 'query', true);
    if (!task) return DUPLICATE_OUTCOME;
    this.statements.get('UPDATE tasks SET answer = ? WHERE id = ?').run(queryAnswerText(answer), task.id);
    this.writer.closeTask(task.id, answer.now, true);
    this.changes.add(task.namespace, task.execution_id);
    return { tasks: [] };
  }

  /** A query task's state. */
  get(namespace: string, taskId: number): QueryAnswer {
    const task = this.statements.get('SELECT * FROM tasks WHERE id = ?').get(taskId) as TaskRow | undefined;
    return queryAnswerOf(task, namespace);
  }

  /** Closes an unanswered query task: its token goes stale. */
  abandon(namespace: string, taskId: number, now: number): void {
    const open = this.statements
      .get(`SELECT 1 FROM tasks WHERE id = ? AND namespace = ? AND kind = 'query' AND state <> 'closed'`)
      .get(taskId, namespace);
    if (open) this.writer.closeTask(taskId, now, false);
  }
}
