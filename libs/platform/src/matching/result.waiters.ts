import { Injectable, type OnModuleDestroy } from '@nestjs/common';

/**
 * Waits for executions to close: `wait_for_result` and `GET …/executions/{id}?wait_seconds`.
 * Transitions that close an execution call {@link ResultWaiters.notifyClosed}.
 */
@Injectable()
export class ResultWaiters implements OnModuleDestroy {
  private readonly waiting = new Map<string, Set<() => void>>();
  /** Each open wait's re-check: reads whether its execution closed, and releases it if so. */
  private readonly rechecks = new Set<() => void>();
  private closed = false;

  /**
   * Resolves when the execution closes, after `timeoutMs`, when `signal` fires, or at shutdown.
   * `isClosed` is checked after registering, so that a close between the caller's read and
   * this call is not missed.
   */
  async waitForClose(
    namespace: string,
    executionId: string,
    timeoutMs: number,
    isClosed: () => Promise<boolean>,
    signal?: AbortSignal,
  ): Promise<void> {
    if (this.closed || timeoutMs <= 0 || signal?.aborted) return;
    const key = `${namespace}\u0000${executionId}`;
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    let set = this.waiting.get(key);
    if (!set) this.waiting.set(key, (set = new Set()));
    set.add(release);
    const timer = setTimeout(release, timeoutMs);
    signal?.addEventListener('abort', release, { once: true });
    const recheck = () => {
      isClosed().then(
        (closed) => {
          if (closed) release();
        },
        () => undefined,
      );
    };
    this.rechecks.add(recheck);
    try {
      if (await isClosed()) return;
      await done;
    } finally {
      clearTimeout(timer);
      this.rechecks.delete(recheck);
      signal?.removeEventListener('abort', release);
      set.delete(release);
      if (set.size === 0 && this.waiting.get(key) === set) this.waiting.delete(key);
    }
  }

  /** Releases everyone waiting on the execution. */
  notifyClosed(namespace: string, executionId: string): void {
    const set = this.waiting.get(`${namespace}\u0000${executionId}`);
    if (set) for (const release of [...set]) release();
  }

  /** Makes every open wait read its execution again: a close reported by another platform node may have been missed. */
  recheckAll(): void {
    for (const recheck of [...this.rechecks]) recheck();
  }

  /** How many waits are open, for the tests. */
  waitingCount(): number {
    let count = 0;
    for (const set of this.waiting.values()) count += set.size;
    return count;
  }

  /** Releases every wait. */
  close(): void {
    this.closed = true;
    for (const set of this.waiting.values()) for (const release of [...set]) release();
  }

  onModuleDestroy(): void {
    this.close();
  }
}
