import type { CreatedTask, WorkerSession } from '../store/store.interface.js';

/** Why a wait ended. */
export type WakeReason = 'woken' | 'timeout' | 'aborted' | 'closed';

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

  constructor(readonly capacity: WaiterCapacity) {
    this.done = new Promise((resolve) => (this.resolveWait = resolve));
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
