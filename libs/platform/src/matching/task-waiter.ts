import type { TaskWire } from '#workflows/protocol';
import type { ClaimRequest, CreatedTask, WorkerSession } from '../store/store.interface.js';

/** Why a wait ended; `matched`: a transition is leasing a task to it (see {@link TaskWaiter.match}). */
export type WakeReason = 'woken' | 'timeout' | 'aborted' | 'closed' | 'matched';

/** What a waiting poll can take. */
export interface WaiterCapacity {
  /**
   * The session polling: the sessions service's cached object, whose expiry heartbeats and
   * shutdown update in place, so that a task is never offered to a session that cannot lease it.
   */
  session: Readonly<Pick<WorkerSession, 'workerId' | 'expiresAt'>>;
  deploymentName: string;
  workflowNames: ReadonlySet<string>;
  activityNames: ReadonlySet<string>;
  maxWorkflowTasks: number;
  maxActivityTasks: number;
}

/** One waiting poll: resolved once, by a task it can take, its deadline, its client leaving, or shutdown. */
export class TaskWaiter {
  /** Set once the waiter was resolved; a resolved waiter takes no further wake-up. */
  settled = false;
  private resolveWait!: (reason: WakeReason) => void;
  /** The end of the wait. */
  readonly done: Promise<WakeReason>;
  private timer: NodeJS.Timeout | null = null;
  /** What a matching transition leased to this poll, once `match()` ended the wait. */
  readonly delivery: Promise<TaskWire[]>;
  private deliver!: (tasks: TaskWire[]) => void;

  /** `claim` builds the claim this poll would make now: a matching transition leases with it. */
  constructor(
    readonly capacity: WaiterCapacity,
    private readonly claim?: () => ClaimRequest,
  ) {
    this.done = new Promise((resolve) => (this.resolveWait = resolve));
    this.delivery = new Promise((resolve) => (this.deliver = resolve));
  }

  /**
   * Sync match: ends the wait (`matched`) for a transition that leases the task it creates to
   * this poll in its own transaction. Returns the claim to lease with and the function that hands
   * over what was leased, which must be called once (with nothing, the poll claims again); `null`
   * when the wait has ended, or has not begun: while its poll's own claim is under way (before
   * {@link expireAfter}), a match could lease it more tasks than it asked for.
   */
  match(): { claim: ClaimRequest; deliver: (tasks: TaskWire[]) => void } | null {
    if (this.settled || !this.claim || this.timer === null) return null;
    const claim = this.claim();
    this.settle('matched');
    return { claim, deliver: (tasks) => this.deliver(tasks) };
  }

  /** Whether this waiter's session looks live at `now` (the cached expiry is a lower bound). */
  isLive(now: number): boolean {
    return this.capacity.session.expiresAt > now;
  }

  /**
   * Whether this waiter's poll could lease the task. A query task is leased like a workflow task
   * (by workflow name, in a workflow slot); a durable timer is never leased.
   */
  canTake(task: CreatedTask): boolean {
    if (task.deploymentName !== null && task.deploymentName !== this.capacity.deploymentName) return false;
    switch (task.kind) {
      case 'workflow':
      case 'query':
        return this.capacity.maxWorkflowTasks > 0 && this.capacity.workflowNames.has(task.name);
      case 'activity':
        return this.capacity.maxActivityTasks > 0 && this.capacity.activityNames.has(task.name);
      default:
        return false;
    }
  }

  /**
   * Ends the wait after `ms` unless something else ends it first; nothing when it has ended
   * already (it can be woken or closed while its poll's claim is still being committed).
   */
  expireAfter(ms: number): void {
    if (this.settled) return;
    this.timer = setTimeout(() => this.settle('timeout'), Math.max(0, ms));
  }

  /** Ends the wait with `reason` (the first reason wins). */
  settle(reason: WakeReason): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.resolveWait(reason);
  }
}
