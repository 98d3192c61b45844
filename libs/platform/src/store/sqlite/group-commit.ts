/** A write waiting for the next group commit. */
export interface QueuedWrite {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Most writes one group commit carries: a longer queue is committed in several transactions. */
const MAX_GROUP = 512;

/**
 * Group commit: the writes that arrive while the event loop handles one batch of I/O (several
 * requests read from their sockets in one turn) are committed together, at the end of that
 * turn (`setImmediate`), so that they share one transaction and one fsync. A write is answered
 * only after the commit that carried it, so an acknowledged write is durable; a write alone
 * waits only for the rest of the current turn.
 */
export class GroupCommit {
  private queue: QueuedWrite[] = [];
  private scheduled: NodeJS.Immediate | null = null;

  constructor(private readonly commit: (writes: readonly QueuedWrite[]) => void) {}

  /** Queues `work` for the next commit; resolves with its result once that commit succeeded. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Commits everything queued now, in groups of at most {@link MAX_GROUP}. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    while (this.queue.length > 0) this.commit(this.queue.splice(0, MAX_GROUP));
  }
}
