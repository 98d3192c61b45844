import {
  Limits,
  TimeoutType,
  activityTimeoutFailure,
  planActivityFailure,
  type ActivityTaskWire,
  type Failure,
  type JsonValue,
  type RetryPolicyWire,
  type WorkflowTaskWire,
} from '#workflows/protocol';
import type { WorkflowRegistry } from '../discovery/workflow-registry.js';
import type { LocalActivityCall, LocalActivityOutcome } from '../runtime/local-activity.js';
import type { ActivityOutcome } from './activity-task.executor.js';

/** What runs one activity attempt: the worker's activity executor. */
export interface ActivityAttemptRunner {
  execute(task: ActivityTaskWire, signal: AbortSignal): Promise<ActivityOutcome>;
}

/** What ends an attempt that runs too long: its own timeout, the activity's, or the workflow task's budget. */
type Limit = { at: number; timeoutType: TimeoutType | 'budget'; timeoutMs: number };

/**
 * What the local activities of one workflow task may still use: time until `deadline` (on the
 * runner's `now()` clock), and `bytes` of recorded outcomes, which the task's completion carries
 * beside its other commands. {@link LocalActivityRunner.run} takes what its outcomes use off `bytes`.
 */
export interface LocalActivityBudget {
  deadline: number;
  bytes: number;
}

/**
 * The recorded outcomes (results and failures) of one workflow task's local activities, at most:
 * a quarter of the largest request, so that the completion that carries them, with the commands
 * of the workflow (which may return those results again), stays within it.
 */
export const LOCAL_OUTCOME_BYTES = Math.floor(Limits.maxRequestBytes / 4);

/**
 * Runs the local activities a workflow task called, on this worker, before the task completes:
 * each with its retry policy and timeouts, all within the task's budget (a deadline on
 * `now()`'s clock, and a size). An activity that cannot finish within it (an attempt still runs
 * at the deadline, or the next retry would start after it), whose outcome does not fit in what
 * is left of the size, or that this worker does not have, falls back to an ordinary activity
 * with the attempts left (an attempt cut short, or whose outcome did not fit, does not count).
 * An attempt cut short by its timeout or by the budget is told so through its `ActivityContext.signal`.
 */
export class LocalActivityRunner {
  constructor(
    private readonly activities: ActivityAttemptRunner,
    private readonly registry: Pick<WorkflowRegistry, 'activities'>,
    /** Aborts at worker shutdown: attempts are told to stop, and backoffs end. */
    private readonly shutdown: AbortSignal,
    private readonly now: () => number,
  ) {}

  /** The budget of a workflow task leased now: half the platform's workflow task timeout, so that its lease never runs out under its local activities. */
  budget(workflowTaskTimeoutMs: number): LocalActivityBudget {
    return { deadline: this.now() + workflowTaskTimeoutMs / 2, bytes: LOCAL_OUTCOME_BYTES };
  }

  /** The outcome of every call, in the order of `calls`, within `budget` (its `bytes` go down by what the outcomes use); never throws. */
  run(task: WorkflowTaskWire, calls: readonly LocalActivityCall[], budget: LocalActivityBudget): Promise<LocalActivityOutcome[]> {
    return Promise.all(calls.map((call) => this.runOne(task, call, budget)));
  }

  private async runOne(task: WorkflowTaskWire, call: LocalActivityCall, budget: LocalActivityBudget): Promise<LocalActivityOutcome> {
    const { deadline } = budget;
    // Another worker of the namespace may have it: the platform schedules it there.
    if (!this.registry.activities.has(call.activity_name)) return fallback(call, 0);
    const closeDeadline = call.schedule_to_close_timeout_ms > 0 ? this.now() + call.schedule_to_close_timeout_ms : null;
    for (let attempt = 1; ; attempt++) {
      if (this.now() >= deadline || this.shutdown.aborted) return fallback(call, attempt - 1);
      const limit = earliest([
        { at: this.now() + call.start_to_close_timeout_ms, timeoutType: TimeoutType.StartToClose, timeoutMs: call.start_to_close_timeout_ms },
        ...(closeDeadline === null ? [] : [{ at: closeDeadline, timeoutType: TimeoutType.ScheduleToClose, timeoutMs: call.schedule_to_close_timeout_ms }]),
        { at: deadline, timeoutType: 'budget', timeoutMs: 0 },
      ]);
      const outcome = await this.attempt(task, call, attempt, limit);
      if ('result' in outcome) {
        if (!fits(budget, outcome.result)) return fallback(call, attempt - 1);
        return { activity_id: call.activity_id, attempts: attempt, result: outcome.result };
      }
      let failure: Failure;
      if ('timedOut' in outcome) {
        // Cut short by the task's budget, not failed: it does not count, and goes on as an ordinary activity.
        if (outcome.timedOut.timeoutType === 'budget') return fallback(call, attempt - 1);
        failure = activityTimeoutFailure(call.activity_name, attempt, outcome.timedOut as Limit & { timeoutType: TimeoutType });
      } else failure = outcome.failure;
      const plan = planActivityFailure(call.retry, attempt, failure, { now: this.now(), closeDeadline });
      if (!plan.retry) {
        if (plan.reason === 'schedule_to_close' && !('timedOut' in outcome)) {
          const timeout = { timeoutType: TimeoutType.ScheduleToClose, timeoutMs: call.schedule_to_close_timeout_ms };
          failure = { ...activityTimeoutFailure(call.activity_name, attempt, timeout), cause: failure };
        }
        if (!fits(budget, failure)) return fallback(call, attempt - 1);
        return { activity_id: call.activity_id, attempts: attempt, failure };
      }
      if (this.now() + plan.delayMs >= deadline) return fallback(call, attempt);
      if (!(await this.wait(plan.delayMs))) return fallback(call, attempt);
    }
  }

  /** One attempt, raced against its limit; the attempt's signal aborts when the limit or the shutdown ends it. */
  private async attempt(
    task: WorkflowTaskWire,
    call: LocalActivityCall,
    attempt: number,
    limit: Limit,
  ): Promise<ActivityOutcome | { timedOut: Limit }> {
    const stop = new AbortController();
    const wire: ActivityTaskWire = {
      kind: 'activity',
      task_token: task.task_token,
      execution_id: task.execution_id,
      run_id: task.run_id,
      workflow_name: task.workflow_name,
      activity_id: call.activity_id,
      activity_name: call.activity_name,
      scheduled_event_id: 0,
      input: call.input,
      attempt,
      start_to_close_timeout_ms: call.start_to_close_timeout_ms,
      heartbeat_timeout_ms: 0,
      heartbeat_details: null,
    };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<{ timedOut: Limit }>((resolve) => {
      timer = setTimeout(() => resolve({ timedOut: limit }), Math.max(0, limit.at - this.now()));
    });
    try {
      const outcome = await Promise.race([this.activities.execute(wire, AbortSignal.any([stop.signal, this.shutdown])), timedOut]);
      if ('timedOut' in outcome) {
        const why = limit.timeoutType === 'budget' ? "the workflow task's budget for local activities ran out" : `it timed out (${limit.timeoutType})`;
        stop.abort(new Error(`Local activity ${call.activity_name} attempt ${attempt} was stopped: ${why}`));
      }
      return outcome;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits out a retry's backoff; `false` when the worker shuts down meanwhile. */
  private wait(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (waited: boolean) => {
        clearTimeout(timer);
        this.shutdown.removeEventListener('abort', onAbort);
        resolve(waited);
      };
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(true), ms);
      this.shutdown.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * Whether an outcome fits in what is left of the task's size budget (it is then taken off it). One
 * that does not goes on as an ordinary activity: its outcome travels in a request of its own.
 */
function fits(budget: LocalActivityBudget, outcome: JsonValue | Failure): boolean {
  const bytes = Buffer.byteLength(JSON.stringify(outcome));
  if (bytes > budget.bytes) return false;
  budget.bytes -= bytes;
  return true;
}

function earliest(limits: Limit[]): Limit {
  return limits.reduce((first, limit) => (limit.at < first.at ? limit : first));
}

/** Goes on as an ordinary activity, with the attempts `used` taken off a bounded policy. */
function fallback(call: LocalActivityCall, used: number): LocalActivityOutcome {
  const max = call.retry.maximum_attempts;
  const retry: RetryPolicyWire = { ...call.retry, maximum_attempts: max === 0 ? 0 : Math.max(1, max - used) };
  return { activity_id: call.activity_id, attempts: used, fallback: { retry } };
}
