import type { PendingWork } from '#workflows/platform';
import type { TestClock } from './test.clock.js';

/**
 * Longest the skipper goes without looking at the store while it has something to do: some
 * transitions report no change (a task leased, a backoff ending, a repeated workflow task failure).
 */
const RECHECK_MS = 50;

/** What the skipper reads and drives: the platform's store and sweep, and the test clock. */
export interface TimeSkipperHost {
  clock: TestClock;
  /** The store's view of the work under way at `now` (`SqliteStore.pendingWork`). */
  pendingWork(now: number): Promise<PendingWork>;
  /** Keeps every live worker session alive up to `expiresAt`, so that skipped time does not expire it. */
  keepSessionsUntil(now: number, expiresAt: number): Promise<void>;
  /** Runs the platform's timeouts sweep at the clock's now (fires due timers). */
  sweep(): Promise<void>;
  /** Makes every waiting poll claim again: tasks whose visibility was delayed (a retry's backoff) may be visible now. */
  wakePolls(): void;
  /** A worker session's lifetime without heartbeats. */
  sessionTimeoutMs: number;
  /** Subscribes to committed store changes; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/**
 * Moves the test clock forward when nothing can happen before it does.
 *
 * The platform is **idle** when its store holds no workflow, activity or query task that a
 * worker has leased or could lease now: no workflow task in flight, no activity running, no
 * task waiting to be taken. Only the clock can then make anything happen: a durable timer
 * firing, or an activity retry's backoff ending. The store is the judge because every task a
 * worker holds is leased there, in the same transaction that hands it out, until the
 * transaction that records its outcome (and queues what follows) commits; so time never moves
 * while an activity runs or a workflow task is in flight.
 *
 * Time is skipped only while it is wanted: while a caller waits for a workflow's result
 * ({@link whileWaiting}, as Temporal's test server does), up to the end of an explicit
 * {@link sleep}. When idle, the clock jumps to the earliest due time (capped by the earliest
 * sleep's end), worker sessions are kept alive across the jump, and the timeouts sweep runs at
 * once. Otherwise the skipper waits for the store to report a change (or a short recheck).
 */
export class TimeSkipper {
  private resultWaits = 0;
  private sleeps: { until: number; resolve: () => void }[] = [];
  private loop: Promise<void> | null = null;
  private dirty = false;
  private wake: (() => void) | null = null;
  private recheck: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly host: TimeSkipperHost) {
    this.unsubscribe = host.onChange(() => this.poke());
  }

  /** Runs `wait` (a wait for a workflow's result) with time skipping on. */
  async whileWaiting<T>(wait: () => Promise<T>): Promise<T> {
    this.resultWaits++;
    this.start();
    try {
      return await wait();
    } finally {
      this.resultWaits--;
      this.poke();
    }
  }

  /**
   * Resolves once the clock has moved `ms` forward, skipping to each due timer on the way
   * while the platform is idle (so that the work each one causes runs at its time), and to the
   * end once nothing is due before it.
   */
  sleep(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    const until = this.host.clock.now() + Math.max(0, ms);
    const done = new Promise<void>((resolve) => this.sleeps.push({ until, resolve }));
    this.start();
    return done;
  }

  /** Stops skipping; pending sleeps resolve. */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    this.poke();
    await this.loop;
    for (const sleep of this.sleeps.splice(0)) sleep.resolve();
  }

  private wanted(): boolean {
    return !this.closed && (this.resultWaits > 0 || this.sleeps.length > 0);
  }

  private start(): void {
    this.poke();
    if (this.loop || !this.wanted()) return;
    this.loop = this.run().then(
      () => {
        this.loop = null;
        // A wait or sleep that came while the round was ending.
        if (this.wanted()) this.start();
      },
      () => {
        // The store failed (it is closing): this round ends, and the next wait or sleep starts another.
        this.loop = null;
      },
    );
  }

  private async run(): Promise<void> {
    for (;;) {
      this.settleSleeps();
      if (!this.wanted()) return;
      this.dirty = false;
      const now = this.host.clock.now();
      const work = await this.host.pendingWork(now);
      if (work.running === 0) {
        const target = earliest(work.nextDueAt, this.earliestSleep());
        if (target !== null) {
          if (target > now) await this.jumpTo(target);
          if (work.nextDueAt !== null && work.nextDueAt <= this.host.clock.now()) {
            await this.host.sweep();
            // The sweep's transition reports a change; without one, wait rather than spin.
            await this.changed();
          }
          continue;
        }
      }
      await this.changed();
    }
  }

  private async jumpTo(target: number): Promise<void> {
    await this.host.keepSessionsUntil(this.host.clock.now(), target + this.host.sessionTimeoutMs);
    this.host.clock.advanceTo(target);
    // The platform wakes polls for delayed tasks on real-time timers, which know nothing of the jump.
    this.host.wakePolls();
  }

  private earliestSleep(): number | null {
    let until: number | null = null;
    for (const sleep of this.sleeps) until = earliest(until, sleep.until);
    return until;
  }

  private settleSleeps(): void {
    const now = this.host.clock.now();
    const due = this.sleeps.filter((sleep) => sleep.until <= now);
    if (due.length === 0) return;
    this.sleeps = this.sleeps.filter((sleep) => sleep.until > now);
    for (const sleep of due) sleep.resolve();
  }

  /** Resolves at the next store change (at once if one came since the last look), or after a short recheck delay. */
  private changed(): Promise<void> {
    if (this.dirty || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
      this.recheck = setTimeout(() => this.poke(), RECHECK_MS);
      this.recheck.unref();
    });
  }

  private poke(): void {
    this.dirty = true;
    if (this.recheck) clearTimeout(this.recheck);
    this.recheck = null;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
