import { Injectable, type OnModuleDestroy } from '@nestjs/common';

/**
 * How a wait ended: its condition held (`ready`), its time ran out, its client left, or the
 * platform is stopping.
 */
export type ExecutionWaitEnd = 'ready' | 'timeout' | 'aborted' | 'closed';

/** What a wait needs besides its condition. */
export interface ExecutionWaitOptions {
  /** How long to wait at most. */
  timeoutMs: number;
  /** Ends the wait when it fires (the client went away). */
  signal?: AbortSignal;
  /**
   * `close`: re-read only when the execution closes (a result wait), not at every event it
   * records, which would cost a read per event per waiter. @default 'change'
   */
  wakeOn?: 'change' | 'close';
}

/** One open wait: re-reads its condition when its execution changes. */
class ExecutionWait {
  private checking = false;
  private again = false;
  private ended = false;
  private finish!: (end: ExecutionWaitEnd) => void;
  readonly done = new Promise<ExecutionWaitEnd>((resolve) => (this.finish = resolve));

  constructor(
    private readonly condition: () => Promise<boolean>,
    /** Whether any change wakes it, or only a close. */
    readonly wakesOnChange: boolean,
  ) {}

  /** Ends the wait (the first reason wins). */
  end(reason: ExecutionWaitEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.finish(reason);
  }

  /**
   * The first read of the condition; it rejects when the read fails. Like every read it is the
   * only one running: a change reported meanwhile is read after it, never beside it, so that a
   * read that looked earlier never ends after (and overwrites what the caller keeps from) a later one.
   */
  async firstCheck(): Promise<boolean> {
    this.checking = true;
    this.again = false;
    let ready: boolean;
    try {
      ready = await this.condition();
    } catch (error) {
      this.checking = false;
      throw error;
    }
    this.afterCheck(ready);
    return ready;
  }

  /**
   * Reads the condition again. One read at a time: a change reported during a read may have
   * committed after that read looked, so it is followed by another read.
   */
  recheck(): void {
    if (this.ended) return;
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = true;
    this.again = false;
    this.condition().then(
      (ready) => this.afterCheck(ready),
      () => this.afterCheck(false),
    );
  }

  private afterCheck(ready: boolean): void {
    this.checking = false;
    if (ready) this.end('ready');
    else if (this.again) this.recheck();
  }
}

/**
 * Waits on executions: for one to close (`wait_for_result`, `GET …/executions/{id}?wait_seconds`),
 * for an update to complete, a query to be answered, or new events for a live stream. Any
 * change of an execution (events appended, a query answered, a close; see
 * `StoreListener.changed`) makes each wait on it re-read its own condition; a resync makes
 * every wait re-read. Conditions are read once more after the wait is registered, so that a
 * change between the caller's read and the wait is not missed.
 */
@Injectable()
export class ExecutionWaiters implements OnModuleDestroy {
  private readonly waiting = new Map<string, Set<ExecutionWait>>();
  private stopped = false;

  /** Whether the platform is stopping: waits end at once with `closed`. */
  get isClosed(): boolean {
    return this.stopped;
  }

  /**
   * Resolves when `condition` holds (read now, then at each change of the execution), after
   * `timeoutMs`, when `signal` fires, or at shutdown. Rejects only when the first read of the
   * condition fails; later reads that fail count as "not yet".
   */
  async waitFor(namespace: string, executionId: string, options: ExecutionWaitOptions, condition: () => Promise<boolean>): Promise<ExecutionWaitEnd> {
    if (this.stopped) return 'closed';
    if (options.signal?.aborted) return 'aborted';
    if (options.timeoutMs <= 0) return (await condition()) ? 'ready' : 'timeout';
    const key = keyOf(namespace, executionId);
    const wait = new ExecutionWait(condition, options.wakeOn !== 'close');
    let set = this.waiting.get(key);
    if (!set) this.waiting.set(key, (set = new Set()));
    set.add(wait);
    const timer = setTimeout(() => wait.end('timeout'), options.timeoutMs);
    const onAbort = () => wait.end('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (await wait.firstCheck()) return 'ready';
      return await wait.done;
    } finally {
      wait.end('closed');
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      set.delete(wait);
      if (set.size === 0 && this.waiting.get(key) === set) this.waiting.delete(key);
    }
  }

  /**
   * The execution changed (events appended, a query answered) or closed: its waits re-read their
   * conditions; a wait that wakes only on a close ignores other changes.
   */
  notify(namespace: string, executionId: string, what: 'change' | 'close' = 'change'): void {
    const set = this.waiting.get(keyOf(namespace, executionId));
    if (set) for (const wait of [...set]) if (what === 'close' || wait.wakesOnChange) wait.recheck();
  }

  /** Makes every open wait re-read its condition: changes reported by another platform node may have been missed. */
  recheckAll(): void {
    for (const set of this.waiting.values()) for (const wait of [...set]) wait.recheck();
  }

  /** How many waits are open, for the tests. */
  waitingCount(): number {
    let count = 0;
    for (const set of this.waiting.values()) count += set.size;
    return count;
  }

  /** Ends every wait with `closed`, and every later one at once: the platform is stopping. */
  close(): void {
    this.stopped = true;
    for (const set of this.waiting.values()) for (const wait of [...set]) wait.end('closed');
  }

  onModuleDestroy(): void {
    this.close();
  }
}

function keyOf(namespace: string, executionId: string): string {
  return `${namespace}\u0000${executionId}`;
}
