import type { TaskTokenParts } from '#workflows/protocol';
import { sessionExpiredFailure, workerShutdownFailure } from '../../executions/activity-timeout.planner.js';
import type { CreatedTask, NamespaceTasks, TaskRelease, TimeoutSweep, TransitionOutcome, WorkerShutdownOutcome } from '../store.interface.js';
import type { SqliteRunWriter } from './sqlite-run.writer.js';
import { NamespaceCollector } from '../store-results.js';
import type { TaskRow, WorkerSessionRow } from '../store.rows.js';
import { planShutdownRelease, planUndeliveredRelease, startedAttempts, type UndeliveredReleasePlan } from '../task-release.rules.js';
import { UNKNOWN_WORKER, planTaskTimeout, unstuckTask } from '../task-transition.rules.js';
import { LIMIT_PARAM, type SqliteStatements } from './sqlite.statements.js';

/**
 * The transitions of {@link SqliteStore} the platform drives itself: timeouts, expired and
 * closed sessions, released tasks, and the purge of closed tasks. Each method runs inside the
 * store's transaction.
 */
export class SqliteTimeoutTransitions {
  constructor(
    private readonly statements: SqliteStatements,
    private readonly writer: SqliteRunWriter,
  ) {}

  /**
   * Takes back the tasks leased by sessions expired at `now`, or whose session is gone (purged):
   * each attempt fails with `WorkerSessionExpired` (a workflow task or a query is offered again
   * at once, an activity follows its retry policy), so that the expired worker's tokens are stale.
   */
  expireLeases(now: number): NamespaceTasks[] {
    const leased = this.statements
      .get(
        `SELECT t.* FROM tasks t LEFT JOIN worker_sessions s ON s.worker_id = t.worker_id
         WHERE t.state = 'leased' AND (s.worker_id IS NULL OR s.expires_at <= ?) ORDER BY t.id`,
      )
      .all(now) as TaskRow[];
    const released = new NamespaceCollector();
    // Workflow tasks waiting for a worker that is gone (it held their runs) go to any worker now.
    const unstuck = this.statements
      .get(
        `UPDATE tasks SET sticky_worker_id = NULL, sticky_until = NULL
         WHERE sticky_worker_id IS NOT NULL AND state = 'queued' AND sticky_until > ?
           AND NOT EXISTS (SELECT 1 FROM worker_sessions s WHERE s.worker_id = tasks.sticky_worker_id AND s.expires_at > ?)
         RETURNING namespace, kind, name, deployment_name, visible_at`,
      )
      .all(now, now) as Pick<TaskRow, 'namespace' | 'kind' | 'name' | 'deployment_name' | 'visible_at'>[];
    for (const task of unstuck) released.add(task.namespace, { tasks: [unstuckTask(task)] });
    for (const task of leased) {
      const workerName = task.worker_name ?? UNKNOWN_WORKER;
      released.add(task.namespace, this.writer.failAbandonedAttempt(task, sessionExpiredFailure(workerName), workerName, now));
    }
    return released.result();
  }

  /**
   * Handles up to `limit` tasks whose deadline is due at `now`, oldest deadline first: a leased
   * workflow task fails with `WorkflowTaskTimeout` and is offered again at once; an activity's
   * start-to-close or heartbeat timeout fails the attempt by the retry policy; its
   * schedule-to-start or schedule-to-close timeout fails the activity; a timer fires; a query
   * closes unanswered.
   */
  expireTimeouts(now: number, limit: number): TimeoutSweep {
    const due = this.statements
      .get(`SELECT * FROM tasks WHERE deadline_at IS NOT NULL AND deadline_at <= ? ORDER BY deadline_at, id ${LIMIT_PARAM}`)
      .all(now, Math.max(1, limit)) as TaskRow[];
    const released = new NamespaceCollector();
    for (const task of due) {
      const outcome = this.timeOut(task, now);
      if (outcome) released.add(task.namespace, outcome);
    }
    return { fired: due.length, released: released.result() };
  }

  /**
   * Hands back tasks leased to a worker that never received them: next attempt, visible now, no
   * failure recorded. An activity attempt the workflow asked to stop is not offered again: it
   * ends as cancelled.
   */
  releaseTasks(release: TaskRelease): CreatedTask[] {
    const select = this.statements.get(
      `SELECT * FROM tasks WHERE id = ? AND namespace = ? AND kind = ? AND state = 'leased' AND worker_id = ? AND attempt = ?`,
    );
    const tasks: CreatedTask[] = [];
    for (const token of release.tokens) {
      const task = select.get(token.taskId, release.namespace, token.kind, release.workerId, token.attempt) as TaskRow | undefined;
      if (task) tasks.push(...this.giveBackUndelivered(task, planUndeliveredRelease(task), release.now));
    }
    return tasks;
  }

  /**
   * Closes a session and offers every task it holds again at once: an attempt the worker
   * started (every one when `startedTokens` is absent) fails with `WorkerShutdown` (a workflow
   * task is offered again, an activity retried without backoff within its retry policy, a query
   * queued again); any other goes back undelivered, as {@link releaseTasks} does. `null` when
   * the namespace has no such session.
   */
  shutdownWorkerSession(namespace: string, workerId: string, now: number, startedTokens?: readonly TaskTokenParts[]): WorkerShutdownOutcome | null {
    const session = this.statements
      .get('SELECT * FROM worker_sessions WHERE worker_id = ? AND namespace = ?')
      .get(workerId, namespace) as WorkerSessionRow | undefined;
    if (!session) return null;
    this.statements.get('UPDATE worker_sessions SET expires_at = MIN(expires_at, ?) WHERE worker_id = ?').run(now, workerId);
    // Workflow tasks waiting for this worker (it held their runs) go to any worker now.
    const unstuck = this.statements
      .get(
        `UPDATE tasks SET sticky_worker_id = NULL, sticky_until = NULL WHERE sticky_worker_id = ? AND state = 'queued'
         RETURNING kind, name, deployment_name, visible_at`,
      )
      .all(workerId) as Pick<TaskRow, 'kind' | 'name' | 'deployment_name' | 'visible_at'>[];
    const leased = this.statements
      .get(`SELECT * FROM tasks WHERE worker_id = ? AND state = 'leased' ORDER BY id`)
      .all(workerId) as TaskRow[];
    const started = startedAttempts(startedTokens);
    const failure = workerShutdownFailure(session.worker_name);
    const tasks: CreatedTask[] = unstuck.map(unstuckTask);
    for (const task of leased) {
      const plan = planShutdownRelease(task, started);
      if (plan === 'failAttempt') tasks.push(...this.writer.failAbandonedAttempt(task, failure, session.worker_name, now, { noBackoff: true }).tasks);
      else tasks.push(...this.giveBackUndelivered(task, plan, now));
    }
    return { released: leased.length, tasks };
  }

  /**
   * Gives every open session (live at `now`, or expired while still holding a lease) the
   * expiry `expiresAt`, never shortening one. Returns how many were extended.
   */
  refreshWorkerSessions(now: number, expiresAt: number): number {
    return this.statements
      .get(
        `UPDATE worker_sessions SET expires_at = ?
         WHERE expires_at < ? AND (expires_at > ?
           OR EXISTS (SELECT 1 FROM tasks t WHERE t.worker_id = worker_sessions.worker_id AND t.state = 'leased'))`,
      )
      .run(expiresAt, expiresAt, now).changes;
  }

  /** Deletes up to `limit` closed tasks closed before `closedBefore`; returns how many. */
  purgeClosedTasks(closedBefore: number, limit: number): number {
    return this.statements
      .get(
        `DELETE FROM tasks WHERE id IN
           (SELECT id FROM tasks WHERE state = 'closed' AND closed_at < ? ORDER BY closed_at ${LIMIT_PARAM})`,
      )
      .run(closedBefore, Math.max(1, limit)).changes;
  }

  /** Hands back a leased task that never started: queued again, or ended as cancelled. */
  private giveBackUndelivered(task: TaskRow, plan: UndeliveredReleasePlan, now: number): CreatedTask[] {
    return plan === 'endCancelled' ? this.writer.endActivity(task, null, now, false).tasks : [this.writer.requeue(task, now)];
  }

  private timeOut(task: TaskRow, now: number): TransitionOutcome | null {
    const plan = planTaskTimeout(task, now);
    switch (plan.action) {
      case 'reset':
        this.statements.get('UPDATE tasks SET deadline_at = ? WHERE id = ?').run(plan.deadlineAt, task.id);
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
        this.writer.closeTask(task.id, now, false);
        return null;
    }
  }
}
