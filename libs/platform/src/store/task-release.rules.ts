import type { TaskTokenParts } from '#workflows/protocol';
import type { TaskRow } from './store.rows.js';

/*
 * The engine-neutral rules of handing back leased tasks: a worker that never received a task
 * (`Store.releaseTasks`), and a worker that leaves (`Store.shutdownWorkerSession`). Each engine
 * locks and reads its rows, asks these functions what each task becomes, and writes it.
 */

/** What handing back a leased task that never started does. */
export type UndeliveredReleasePlan =
  /** Queued again at once at the next attempt, no failure recorded. */
  | 'requeue'
  /** The workflow asked the activity to stop: it ends as cancelled. */
  | 'endCancelled';

/** What handing back one leased task does: an undelivered plan, or `failAttempt` (the attempt ran and is abandoned: it fails as when a session expires). */
export type TaskReleasePlan = 'failAttempt' | UndeliveredReleasePlan;

/** How a task the worker never received, or never started, goes back. */
export function planUndeliveredRelease(task: TaskRow): UndeliveredReleasePlan {
  return task.cancel_requested ? 'endCancelled' : 'requeue';
}

/** A leased attempt's identity: kind, task id and attempt, as its token names it. */
export type AttemptKey = string;

/**
 * The attempts a leaving worker says it started; `null` when it does not say (an older
 * worker): then every task it holds counts as started.
 */
export function startedAttempts(tokens: readonly TaskTokenParts[] | undefined): ReadonlySet<AttemptKey> | null {
  return tokens === undefined ? null : new Set(tokens.map((token) => attemptKey(token.kind, token.taskId, token.attempt)));
}

/**
 * How a leaving worker's leased task goes back: an attempt it started (every attempt, when
 * `started` is `null`) fails as abandoned; any other goes back undelivered.
 */
export function planShutdownRelease(task: TaskRow, started: ReadonlySet<AttemptKey> | null): TaskReleasePlan {
  if (started === null || started.has(attemptKey(task.kind, task.id, task.attempt))) return 'failAttempt';
  return planUndeliveredRelease(task);
}

function attemptKey(kind: string, taskId: number, attempt: number): AttemptKey {
  return `${kind}:${taskId}.${attempt}`;
}
