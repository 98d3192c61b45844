import type { TaskTokenParts } from '#workflows/protocol';
import { sessionExpiredFailure, workerShutdownFailure } from '../../executions/activity-timeout.planner.js';
import { NamespaceCollector } from '../store-results.js';
import type { CreatedTask, NamespaceTasks, TaskRelease, TimeoutSweep, TransitionOutcome, WorkerShutdownOutcome } from '../store.interface.js';
import type { TaskRow, WorkerSessionRow } from '../store.rows.js';
import { planShutdownRelease, planUndeliveredRelease, startedAttempts, type UndeliveredReleasePlan } from '../task-release.rules.js';
import { UNKNOWN_WORKER, planTaskTimeout, unstuckTask } from '../task-transition.rules.js';
import type { PostgresRunWriter } from './postgres-run.writer.js';
import type { PgTx } from './postgres.transaction.js';

/**
 * The transitions of {@link PostgresStore} the platform drives itself: timeouts, expired and
 * closed sessions, released tasks, and the purge of closed tasks. Each runs inside the store's
 * transaction. The sweeps claim their rows with `FOR UPDATE SKIP LOCKED`, so that any number
 * of platform nodes sweep at once and each deadline or expired lease is taken by one of them.
 */
export class PostgresTimeoutTransitions {
  constructor(
    private readonly tx: PgTx,
    private readonly writer: PostgresRunWriter,
  ) {}

  /** Takes back the tasks leased by sessions expired at `now`, or whose session is gone (see `Store.expireLeases`). */
  async expireLeases(now: number): Promise<NamespaceTasks[]> {
    const leased = await this.tx.rows<TaskRow>(
      `SELECT t.* FROM tasks t LEFT JOIN worker_sessions s ON s.worker_id = t.worker_id
       WHERE t.state = 'leased' AND (s.worker_id IS NULL OR s.expires_at <= $1) ORDER BY t.id
       FOR UPDATE OF t SKIP LOCKED`,
      [now],
    );
    // Workflow tasks waiting for a worker that is gone (it held their runs) go to any worker now.
    const unstuck = await this.tx.rows<Pick<TaskRow, 'namespace' | 'kind' | 'name' | 'deployment_name' | 'visible_at'>>(
      `UPDATE tasks SET sticky_worker_id = NULL, sticky_until = NULL
       WHERE id IN (SELECT t.id FROM tasks t
                    WHERE t.sticky_worker_id IS NOT NULL AND t.state = 'queued' AND t.sticky_until > $1
                      AND NOT EXISTS (SELECT 1 FROM worker_sessions s WHERE s.worker_id = t.sticky_worker_id AND s.expires_at > $1)
                    FOR UPDATE SKIP LOCKED)
       RETURNING namespace, kind, name, deployment_name, visible_at`,
      [now],
    );
    await this.writer.lockRuns(leased.map((task) => task.run_id));
    const released = new NamespaceCollector();
    for (const task of unstuck) released.add(task.namespace, { tasks: [unstuckTask(task)] });
    for (const task of leased) {
      const workerName = task.worker_name ?? UNKNOWN_WORKER;
      released.add(task.namespace, await this.writer.failAbandonedAttempt(task, sessionExpiredFailure(workerName), workerName, now));
    }
    return released.result();
  }

  /**
   * Handles up to `limit` tasks whose deadline is due at `now`, oldest deadline first (see
   * `Store.expireTimeouts`): timeouts, durable timers (each fires once, whichever node takes
   * it) and unanswered queries.
   */
  async expireTimeouts(now: number, limit: number): Promise<TimeoutSweep> {
    const due = await this.tx.rows<TaskRow>(
      `SELECT * FROM tasks WHERE deadline_at IS NOT NULL AND deadline_at <= $1 ORDER BY deadline_at, id LIMIT $2
       FOR UPDATE SKIP LOCKED`,
      [now, Math.max(1, limit)],
    );
    await this.writer.lockRuns(due.map((task) => task.run_id));
    const released = new NamespaceCollector();
    for (const task of due) {
      const outcome = await this.timeOut(task, now);
      if (outcome) released.add(task.namespace, outcome);
    }
    return { fired: due.length, released: released.result() };
  }

  /**
   * Hands back tasks leased to a worker that never received them: next attempt, visible now, no
   * failure recorded. An activity attempt the workflow asked to stop is not offered again: it
   * ends as cancelled.
   */
  async releaseTasks(release: TaskRelease): Promise<CreatedTask[]> {
    // Every task row is locked (in id order) before any execution row: ending a cancelled attempt locks its run.
    const leased: TaskRow[] = [];
    for (const token of [...release.tokens].sort((a, b) => a.taskId - b.taskId)) {
      const task = await this.tx.one<TaskRow>(
        `SELECT * FROM tasks WHERE id = $1 AND namespace = $2 AND kind = $3 AND state = 'leased' AND worker_id = $4 AND attempt = $5
         FOR UPDATE`,
        [token.taskId, release.namespace, token.kind, release.workerId, token.attempt],
      );
      if (task) leased.push(task);
    }
    const plans = leased.map((task) => ({ task, plan: planUndeliveredRelease(task) }));
    await this.writer.lockRuns(plans.filter(({ plan }) => plan !== 'requeue').map(({ task }) => task.run_id));
    const tasks: CreatedTask[] = [];
    for (const { task, plan } of plans) tasks.push(...(await this.giveBackUndelivered(task, plan, release.now)));
    return tasks;
  }

  /**
   * Closes a session and offers every task it holds again at once: an attempt it started fails
   * (`WorkerShutdown`), any other goes back undelivered (see `Store.shutdownWorkerSession`).
   */
  async shutdownWorkerSession(namespace: string, workerId: string, now: number, startedTokens?: readonly TaskTokenParts[]): Promise<WorkerShutdownOutcome | null> {
    const session = await this.tx.one<WorkerSessionRow>('SELECT * FROM worker_sessions WHERE worker_id = $1 AND namespace = $2 FOR UPDATE', [
      workerId,
      namespace,
    ]);
    if (!session) return null;
    await this.tx.run('UPDATE worker_sessions SET expires_at = LEAST(expires_at, $1) WHERE worker_id = $2', [now, workerId]);
    // Workflow tasks waiting for this worker (it held their runs) go to any worker now; task rows before run rows.
    const unstuck = await this.tx.rows<Pick<TaskRow, 'kind' | 'name' | 'deployment_name' | 'visible_at'>>(
      `UPDATE tasks SET sticky_worker_id = NULL, sticky_until = NULL WHERE sticky_worker_id = $1 AND state = 'queued'
       RETURNING kind, name, deployment_name, visible_at`,
      [workerId],
    );
    const leased = await this.tx.rows<TaskRow>(`SELECT * FROM tasks WHERE worker_id = $1 AND state = 'leased' ORDER BY id FOR UPDATE`, [workerId]);
    const started = startedAttempts(startedTokens);
    const plans = leased.map((task) => ({ task, plan: planShutdownRelease(task, started) }));
    // A requeue writes its task row alone: only the other plans lock their runs.
    await this.writer.lockRuns(plans.filter(({ plan }) => plan !== 'requeue').map(({ task }) => task.run_id));
    const failure = workerShutdownFailure(session.worker_name);
    const tasks: CreatedTask[] = unstuck.map(unstuckTask);
    for (const { task, plan } of plans) {
      if (plan === 'failAttempt') tasks.push(...(await this.writer.failAbandonedAttempt(task, failure, session.worker_name, now, { noBackoff: true })).tasks);
      else tasks.push(...(await this.giveBackUndelivered(task, plan, now)));
    }
    return { released: leased.length, tasks };
  }

  /** Gives every open session the expiry `expiresAt`, never shortening one (see `Store.refreshWorkerSessions`). */
  refreshWorkerSessions(now: number, expiresAt: number): Promise<number> {
    return this.tx.run(
      `UPDATE worker_sessions SET expires_at = $1
       WHERE expires_at < $1 AND (expires_at > $2
         OR EXISTS (SELECT 1 FROM tasks t WHERE t.worker_id = worker_sessions.worker_id AND t.state = 'leased'))`,
      [expiresAt, now],
    );
  }

  /** Deletes up to `limit` closed tasks closed before `closedBefore`; returns how many. */
  purgeClosedTasks(closedBefore: number, limit: number): Promise<number> {
    return this.tx.run(
      `DELETE FROM tasks WHERE id IN
         (SELECT id FROM tasks WHERE state = 'closed' AND closed_at < $1 ORDER BY closed_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [closedBefore, Math.max(1, limit)],
    );
  }

  /** Hands back a leased task that never started: queued again, or ended as cancelled (its run locked). */
  private async giveBackUndelivered(task: TaskRow, plan: UndeliveredReleasePlan, now: number): Promise<CreatedTask[]> {
    return plan === 'endCancelled' ? (await this.writer.endActivity(task, null, now, false)).tasks : [await this.writer.requeue(task, now)];
  }

  private async timeOut(task: TaskRow, now: number): Promise<TransitionOutcome | null> {
    const plan = planTaskTimeout(task, now);
    switch (plan.action) {
      case 'reset':
        await this.tx.run('UPDATE tasks SET deadline_at = $1 WHERE id = $2', [plan.deadlineAt, task.id]);
        return null;
      case 'failWorkflowAttempt':
        return this.writer.failWorkflowAttempt(task, plan.failure, plan.workerName, now, 0);
      case 'failActivity':
        return this.writer.endActivity(task, plan.failure, now, false);
      case 'failActivityAttempt':
        return this.writer.failActivityAttempt(task, plan.failure, now);
      case 'fireTimer':
        return this.writer.fireTimer(task, now);
      case 'closeQuery':
        await this.writer.closeTask(task.id, now, false);
        return null;
    }
  }
}
