import type { TaskKind, TaskSlots } from '#workflows/protocol';

/** The two kinds of slot: a query task runs in a workflow task slot. */
export type SlotKind = 'workflow' | 'activity';

/** The slot a task of `kind` takes. */
export function slotKindOf(kind: TaskKind): SlotKind {
  return kind === 'activity' ? 'activity' : 'workflow';
}

/**
 * Counts a worker's capacity per task kind: running tasks plus slots reserved by requests
 * still in flight (a poll, or a completion that asks for the next tasks).
 */
export class SlotCounter {
  private readonly used: Record<SlotKind, number> = { workflow: 0, activity: 0 };
  private waiters: (() => void)[] = [];

  constructor(private readonly limits: Record<SlotKind, number>) {}

  /**
   * Reserves the free slots, but `keep` of each kind (or as many as are free), of `only` that
   * kind when given, and returns how many of each kind were reserved.
   */
  reserveFree(keep = 0, only?: SlotKind): TaskSlots {
    const slots = {
      max_workflow_tasks: only === 'activity' ? 0 : this.spare('workflow', keep),
      max_activity_tasks: only === 'workflow' ? 0 : this.spare('activity', keep),
    };
    this.used.workflow += slots.max_workflow_tasks;
    this.used.activity += slots.max_activity_tasks;
    return slots;
  }

  /** Returns slots: a finished task's, or reserved ones no task came for. */
  release(kind: SlotKind, count = 1): void {
    if (count <= 0) return;
    this.used[kind] -= count;
    this.notify();
  }

  /** Wakes everything waiting on {@link changed}. */
  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves at the next release or notification. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Slots of `kind` neither running nor reserved. */
  free(kind: SlotKind): number {
    return this.limits[kind] - this.used[kind];
  }

  /** Whether a slot of `kind` is free beyond `keep`. */
  hasFree(kind: SlotKind, keep = 0): boolean {
    return this.spare(kind, keep) > 0;
  }

  /** How many slots of `kind` there are in all. */
  limit(kind: SlotKind): number {
    return this.limits[kind];
  }

  private spare(kind: SlotKind, keep: number): number {
    return Math.max(0, this.free(kind) - keep);
  }

  /** Slots in use (running or reserved), both kinds. */
  get inUse(): number {
    return this.used.workflow + this.used.activity;
  }

  /** Resolves when no slot is in use. */
  async whenIdle(): Promise<void> {
    while (this.inUse > 0) await this.changed();
  }
}
