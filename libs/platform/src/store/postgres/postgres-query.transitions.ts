import { existingExecution } from '../execution-transition.rules.js';
import { queryAnswerOf, queryAnswerText, queryTaskPayload } from '../query-task.rules.js';
import type { CreatedQuery, CreateQueryParams, QueryAnswer, QueryTaskAnswer, TransitionOutcome } from '../store.interface.js';
import { toExecutionRecord, type TaskRow } from '../store.rows.js';
import { DUPLICATE_OUTCOME, checkLeasedTask } from '../task-transition.rules.js';
import type { PostgresRunWriter } from './postgres-run.writer.js';
import type { PgTx } from './postgres.transaction.js';

/**
 * The query transitions of {@link PostgresStore}: queue a query task, record its answer, read it,
 * abandon it. Queries never append events, so no execution row is locked; the task row is.
 */
export class PostgresQueryTransitions {
  constructor(
    private readonly tx: PgTx,
    private readonly writer: PostgresRunWriter,
  ) {}

  /** Queues a query task on the execution's current run, due at `deadlineAt`. */
  async create(params: CreateQueryParams): Promise<CreatedQuery> {
    const row = existingExecution(await this.writer.execution(params.namespace, params.executionId), params.executionId);
    const inserted = await this.tx.one<{ id: number }>(
      `INSERT INTO tasks (namespace, kind, execution_id, run_id, name, deployment_name, state, attempt, visible_at, payload, deadline_at)
       VALUES ($1, 'query', $2, $3, $4, $5, 'queued', 1, $6, $7, $8)
       RETURNING id`,
      [row.namespace, row.execution_id, row.run_id, row.workflow_name, row.deployment_name, params.now, queryTaskPayload(params), params.deadlineAt],
    );
    return {
      taskId: inserted!.id,
      task: { kind: 'query', name: row.workflow_name, deploymentName: row.deployment_name, visibleAt: params.now },
      execution: toExecutionRecord(row),
    };
  }

  /** Records a leased query's answer and closes it; a retry of the same answer changes nothing. */
  async answer(answer: QueryTaskAnswer): Promise<TransitionOutcome> {
    const found = await this.tx.one<TaskRow>('SELECT * FROM tasks WHERE id = $1 FOR UPDATE', [answer.token.taskId]);
    const task = checkLeasedTask(found, answer, 'query', true);
    if (!task) return DUPLICATE_OUTCOME;
    await this.tx.run('UPDATE tasks SET answer = $1 WHERE id = $2', [queryAnswerText(answer), task.id]);
    await this.writer.closeTask(task.id, answer.now, true);
    this.tx.changes.add(task.namespace, task.execution_id);
    return { tasks: [] };
  }

  /** A query task's state. */
  async get(namespace: string, taskId: number): Promise<QueryAnswer> {
    return queryAnswerOf(await this.tx.one<TaskRow>('SELECT * FROM tasks WHERE id = $1', [taskId]), namespace);
  }

  /** Closes an unanswered query task: its token goes stale. */
  async abandon(namespace: string, taskId: number, now: number): Promise<void> {
    const open = await this.tx.one(`SELECT 1 FROM tasks WHERE id = $1 AND namespace = $2 AND kind = 'query' AND state <> 'closed' FOR UPDATE`, [
      taskId,
      namespace,
    ]);
    if (open) await this.writer.closeTask(taskId, now, false);
  }
}
