import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Clock, TaskWire } from '#workflows/protocol';
import { CLOCK, STORE } from '../platform.constants.js';
import type { ClaimRequest, CreatedTask, Store, WorkerSession } from '../store/store.interface.js';
import { TaskWaiter } from './task-waiter.js';

/** One poll's request. */
export interface PollParams {
  session: WorkerSession;
  maxWorkflowTasks: number;
  maxActivityTasks: number;
  /** How long to hold the poll when nothing is available. */
  waitMs: number;
  /** When the lease of a claimed task ends unless its session heartbeats. */
  leaseMs: number;
  /** A claimed workflow task not completed within this long times out. */
  workflowTaskTimeoutMs: number;
  /** A workflow task whose history is at least this long suggests continuing as new. @default never */
  historyWarnEvents?: number;
  /** Fires when the client went away: the poll ends and claims nothing more. */
  signal?: AbortSignal;
}

/** Longer delays re-arm the timer: Node fires anything past 2^31-1 ms at once. */
const MAX_TIMER_MS = 3_600_000;

interface DelayedTask {
  namespace: string;
  task: CreatedTask;
  /** A sticky task's holder: its polls are not woken again when the task stops being sticky (they could always take it). */
  skipWorkerId?: string;
}

/**
 * Long-poll matching. A poll tries to claim; when nothing is there it waits, per namespace,
 * until a transition creates a task it can take (a delayed task wakes it when it becomes
 * visible, through one timer), its wait ends, its client disconnects, or the platform stops.
 */
@Injectable()
export class TaskMatcher implements OnModuleDestroy {
  private readonly waiters = new Map<string, Set<TaskWaiter>>();
  private delayed: DelayedTask[] = [];
  private delayTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Leases tasks for the session, waiting up to `waitMs` for some; `[]` when none came. */
  async poll(params: PollParams): Promise<TaskWire[]> {
    const deadline = this.clock.now() + params.waitMs;
    const { session } = params;
    const capacity = {
      session,
      deploymentName: session.deploymentName,
      workflowNames: new Set(session.workflows),
      activityNames: new Set(session.activities),
      maxWorkflowTasks: params.maxWorkflowTasks,
      maxActivityTasks: params.maxActivityTasks,
    };
    while (!this.closed && !params.signal?.aborted) {
      // Registered before claiming, so that a task created during the claim still wakes it.
      const waiter = new TaskWaiter(capacity, () => this.claimRequest(params));
      const onAbort = () => waiter.settle('aborted');
      params.signal?.addEventListener('abort', onAbort, { once: true });
      this.add(session.namespace, waiter);
      try {
        const tasks = await this.claim(params);
        if (tasks.length > 0) return tasks;
        const remaining = deadline - this.clock.now();
        if (remaining <= 0) return [];
        waiter.expireAfter(remaining);
        const reason = await waiter.done;
        if (reason === 'matched') {
          const matched = await waiter.delivery;
          if (matched.length > 0) return matched;
          continue;
        }
        if (reason !== 'woken') return [];
      } finally {
        waiter.settle('closed');
        params.signal?.removeEventListener('abort', onAbort);
        this.remove(session.namespace, waiter);
      }
    }
    return [];
  }

  /** Leases what the session can take now, without waiting. */
  claim(params: Omit<PollParams, 'waitMs'>): Promise<TaskWire[]> {
    if (params.maxWorkflowTasks <= 0 && params.maxActivityTasks <= 0) return Promise.resolve([]);
    return this.store.claimTasks(this.claimRequest(params));
  }

  /** The claim a poll of the session (or a completing worker asking for `next`) makes now. */
  claimRequest(params: Omit<PollParams, 'waitMs' | 'signal'>): ClaimRequest {
    const { session } = params;
    const now = this.clock.now();
    return {
      namespace: session.namespace,
      workerId: session.workerId,
      workerName: session.workerName,
      deploymentName: session.deploymentName,
      workflowNames: session.workflows,
      activityNames: session.activities,
      maxWorkflowTasks: params.maxWorkflowTasks,
      maxActivityTasks: params.maxActivityTasks,
      now,
      leaseExpiresAt: now + params.leaseMs,
      workflowTaskTimeoutMs: params.workflowTaskTimeoutMs,
      ...(params.historyWarnEvents === undefined ? {} : { historyWarnEvents: params.historyWarnEvents }),
    };
  }

  /**
   * Sync match: takes the oldest live waiting poll that can take a task like `task` out of the
   * wait, so that the transition creating the task leases it to that poll in its own transaction
   * (`EagerLease`). `deliver` must then be called once with what was leased; `null` when no poll waits.
   */
  matchWaiting(namespace: string, task: Pick<CreatedTask, 'kind' | 'name' | 'deploymentName'>): ReturnType<TaskWaiter['match']> {
    if (this.closed) return null;
    const now = this.clock.now();
    const candidate = { ...task, visibleAt: now };
    for (const waiter of this.waiters.get(namespace) ?? []) {
      if (waiter.settled || !waiter.canTake(candidate) || !waiter.isLive(now)) continue;
      const match = waiter.match();
      if (match) return match;
    }
    return null;
  }

  /**
   * Wakes, for each task visible now, the oldest waiter of the namespace that can take it; delayed
   * ones later. Durable timers are no worker's: the timeouts sweep fires them.
   */
  notify(namespace: string, tasks: readonly CreatedTask[]): void {
    if (this.closed || tasks.length === 0) return;
    const now = this.clock.now();
    for (const task of tasks) {
      if (task.kind === 'timer') continue;
      if (task.visibleAt > now) this.delay({ namespace, task });
      else if (task.sticky && task.sticky.until > now) this.wakeSticky(namespace, task, task.sticky);
      else this.wakeOne(namespace, task);
    }
  }

  /** Wakes every waiting poll to claim again: wake-ups from other platform nodes may have been missed. */
  wakeAll(): void {
    for (const set of this.waiters.values()) for (const waiter of set) waiter.settle('woken');
  }

  /** Ends the waiting polls of one worker (it shut down): they answer no task. */
  endPolls(namespace: string, workerId: string): void {
    for (const waiter of this.waiters.get(namespace) ?? []) if (waiter.capacity.session.workerId === workerId) waiter.settle('closed');
  }

  /** How many polls are waiting, for the tests and the console. */
  waitingCount(namespace?: string): number {
    if (namespace !== undefined) return this.waiters.get(namespace)?.size ?? 0;
    let count = 0;
    for (const set of this.waiters.values()) count += set.size;
    return count;
  }

  /** Releases every waiting poll (they answer no task) and stops the delay timer. */
  close(): void {
    this.closed = true;
    if (this.delayTimer) clearTimeout(this.delayTimer);
    this.delayTimer = null;
    this.delayed = [];
    for (const set of this.waiters.values()) for (const waiter of set) waiter.settle('closed');
  }

  onModuleDestroy(): void {
    this.close();
  }

  /**
   * Wakes the oldest waiter that can take the task, preferring sessions that look live: a
   * session that stopped heartbeating cannot lease it, and waking it would lose the wake-up.
   */
  private wakeOne(namespace: string, task: CreatedTask, skipWorkerId?: string): void {
    const set = this.waiters.get(namespace);
    if (!set) return;
    const now = this.clock.now();
    let fallback: TaskWaiter | null = null;
    for (const waiter of set) {
      if (waiter.settled || !waiter.canTake(task) || waiter.capacity.session.workerId === skipWorkerId) continue;
      if (waiter.isLive(now)) {
        waiter.settle('woken');
        return;
      }
      fallback ??= waiter;
    }
    fallback?.settle('woken');
  }

  /**
   * A sticky workflow task: wakes the poll of the worker that holds its run, if it waits here and
   * looks live; any worker is woken when the task stops being sticky, in case the holder does
   * not take it (busy, gone, polling another node, or its woken poll ended first).
   */
  private wakeSticky(namespace: string, task: CreatedTask, sticky: NonNullable<CreatedTask['sticky']>): void {
    const now = this.clock.now();
    for (const waiter of this.waiters.get(namespace) ?? []) {
      if (waiter.settled || waiter.capacity.session.workerId !== sticky.workerId || !waiter.canTake(task) || !waiter.isLive(now)) continue;
      waiter.settle('woken');
      break;
    }
    const { sticky: _, ...anyWorker } = task;
    this.delay({ namespace, task: { ...anyWorker, visibleAt: sticky.until }, skipWorkerId: sticky.workerId });
  }

  private delay(entry: DelayedTask): void {
    // Most entries come due after every other (sticky times, backoffs from now): append without a scan.
    const last = this.delayed[this.delayed.length - 1];
    const index = last && last.task.visibleAt <= entry.task.visibleAt ? -1 : this.delayed.findIndex((other) => other.task.visibleAt > entry.task.visibleAt);
    if (index === -1) this.delayed.push(entry);
    else this.delayed.splice(index, 0, entry);
    if (index === 0 || this.delayed.length === 1) this.armDelayTimer();
  }

  private armDelayTimer(): void {
    if (this.delayTimer) clearTimeout(this.delayTimer);
    this.delayTimer = null;
    const next = this.delayed[0];
    if (!next) return;
    this.delayTimer = setTimeout(() => this.releaseDue(), Math.min(MAX_TIMER_MS, Math.max(0, next.task.visibleAt - this.clock.now())));
    this.delayTimer.unref();
  }

  private releaseDue(): void {
    this.delayTimer = null;
    const now = this.clock.now();
    let due = 0;
    while (due < this.delayed.length && this.delayed[due]!.task.visibleAt <= now) due++;
    const released = this.delayed.splice(0, due);
    for (const { namespace, task, skipWorkerId } of released) this.wakeOne(namespace, task, skipWorkerId);
    this.armDelayTimer();
  }

  private add(namespace: string, waiter: TaskWaiter): void {
    let set = this.waiters.get(namespace);
    if (!set) this.waiters.set(namespace, (set = new Set()));
    set.add(waiter);
  }

  private remove(namespace: string, waiter: TaskWaiter): void {
    const set = this.waiters.get(namespace);
    if (!set) return;
    set.delete(waiter);
    if (set.size === 0) this.waiters.delete(namespace);
  }
}
