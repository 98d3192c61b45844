import type { HeldRun } from '../runtime/workflow-replayer.js';

/**
 * The sticky cache: runs this worker answered the last workflow task of, kept in memory so that
 * their next task is applied to them without replaying the history. Bounded; the least recently
 * used run is evicted first. A run is taken out while a task works on it, and put back only
 * after a successful answer that did not close it.
 */
export class WorkflowRunCache {
  private readonly runs = new Map<string, HeldRun>();
  private hitCount = 0;
  private missCount = 0;

  constructor(private readonly capacity: number) {}

  /** The held run of `runId`, removed from the cache (a miss when there is none). */
  take(runId: string): HeldRun | null {
    const held = this.runs.get(runId);
    if (!held) {
      this.missCount++;
      return null;
    }
    this.runs.delete(runId);
    this.hitCount++;
    return held;
  }

  /** A held run could not take the new events (its answer was refused, another worker ran a task): it replayed after all. */
  recordFallback(): void {
    this.hitCount--;
    this.missCount++;
  }

  /** Keeps a run after its answer, evicting the least recently used beyond the capacity. */
  put(runId: string, held: HeldRun): void {
    if (this.capacity <= 0) return;
    this.runs.delete(runId);
    this.runs.set(runId, held);
    while (this.runs.size > this.capacity) this.runs.delete(this.runs.keys().next().value!);
  }

  /** How many runs are held. */
  get size(): number {
    return this.runs.size;
  }

  /** Tasks that found their run held, and those that had to replay. */
  get stats(): { hits: number; misses: number } {
    return { hits: this.hitCount, misses: this.missCount };
  }
}
