import { Observable } from 'rxjs';
import type { TaskSlots, TaskWire, TasksResponse } from '#workflows/protocol';
import type { PlatformTransport } from '../transport/platform-transport.js';
import { slotKindOf, type SlotCounter, type SlotKind } from './slot-counter.js';

/** Most polls one worker keeps open at once for each kind of task. */
const MAX_OPEN_POLLS_PER_KIND = 4;
const KINDS: readonly SlotKind[] = ['workflow', 'activity'];

/** What the poller needs from the worker that owns it. */
export interface TaskPollerHost {
  readonly transport: PlatformTransport;
  readonly slots: SlotCounter;
  readonly pollWaitMs: number;
  /** The current session id (it changes when the worker registers again). */
  workerId(): string;
  /**
   * How many tasks of each kind are running. Polls leave free, for their completions' answers
   * (eager dispatch), a workflow slot per running activity (its completion may bring the next
   * workflow task) and an activity slot per running workflow task (its completion may bring the
   * activities it scheduled), but never more than half the slots of a kind: new work always
   * finds room.
   */
  running(): Record<SlotKind, number>;
  /** The kinds of task this worker has anything registered for, read when polling starts. @default both */
  kinds?(): readonly SlotKind[];
  /** Handles a failed poll (re-register, back off); resolves when polling may go on. */
  recover(error: unknown, consecutiveFailures: number): Promise<void>;
}

/**
 * The poll loops, one per kind of task, as an Observable of leased tasks. Whenever slots of a
 * kind are free and not reserved, a long-poll asks for exactly those, but for the headroom kept
 * for the running tasks' completions; slots freed while polls are open get a poll of their own
 * (up to a few at once per kind), so that a free slot never waits for an unrelated poll to end.
 * Each poll asks for one kind only: a poll waiting for activity tasks that do not come never
 * holds back a workflow task, and the other way round.
 */
export class TaskPoller {
  private readonly open: Record<SlotKind, Set<AbortController>> = { workflow: new Set(), activity: new Set() };
  private stopped = false;

  constructor(private readonly host: TaskPollerHost) {}

  /** Leased tasks, until {@link stop}. Each one holds the slot reserved for it. */
  readonly tasks$ = new Observable<TaskWire>((subscriber) => {
    let failures = 0;
    const pollOnce = async (kind: SlotKind, reserved: TaskSlots, abort: AbortController): Promise<void> => {
      try {
        const response = await this.host.transport.poll(
          { worker_id: this.host.workerId(), wait_ms: this.host.pollWaitMs, ...reserved },
          abort.signal,
        );
        failures = 0;
        acceptTasks(this.host.slots, reserved, response, (task) => subscriber.next(task));
      } catch (error) {
        releaseSlots(this.host.slots, reserved);
        if (!this.stopped) await this.host.recover(error, ++failures);
      } finally {
        this.open[kind].delete(abort);
        this.host.slots.notify();
      }
    };
    const loop = async (kind: SlotKind): Promise<void> => {
      while (!this.stopped) {
        const headroom = headroomFor(kind, this.host.running(), this.host.slots);
        if (this.open[kind].size >= MAX_OPEN_POLLS_PER_KIND || !this.host.slots.hasFree(kind, headroom)) {
          await this.host.slots.changed();
          continue;
        }
        const abort = new AbortController();
        this.open[kind].add(abort);
        void pollOnce(kind, this.host.slots.reserveFree(headroom, kind), abort);
      }
    };
    const kinds = this.host.kinds?.() ?? KINDS;
    void Promise.all(kinds.map((kind) => loop(kind))).then(() => subscriber.complete());
    return () => this.stop();
  });

  /** Stops polling at once: open polls are abandoned and their slots released. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const kind of KINDS) for (const abort of this.open[kind]) abort.abort();
    this.host.slots.notify();
  }
}

/** The free slots of `kind` a poll leaves to the running tasks' completions (see {@link TaskPollerHost.running}). */
export function headroomFor(kind: SlotKind, running: Record<SlotKind, number>, slots: Pick<SlotCounter, 'limit'>): number {
  const bringers = kind === 'workflow' ? running.activity : running.workflow;
  return Math.min(bringers, Math.floor(slots.limit(kind) / 2));
}

/** Takes a response's tasks into the slots reserved for them, frees the rest, emits the tasks. */
export function acceptTasks(slots: SlotCounter, reserved: TaskSlots, response: TasksResponse, emit: (task: TaskWire) => void): void {
  const received: Record<SlotKind, number> = { workflow: 0, activity: 0 };
  for (const task of response.tasks) received[slotKindOf(task.kind)]++;
  slots.release('workflow', reserved.max_workflow_tasks - received.workflow);
  slots.release('activity', reserved.max_activity_tasks - received.activity);
  for (const task of response.tasks) emit(task);
}

/** Frees slots reserved for a request that failed. */
export function releaseSlots(slots: SlotCounter, reserved: TaskSlots): void {
  slots.release('workflow', reserved.max_workflow_tasks);
  slots.release('activity', reserved.max_activity_tasks);
}
