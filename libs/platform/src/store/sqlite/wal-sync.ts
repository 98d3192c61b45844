import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';

/** How the WAL file is flushed to disk: `fs.fdatasync` (on libuv's thread pool), or a test's stand-in. */
export type FlushFile = (fd: number, done: (error: Error | null) => void) => void;

/** Flushes the WAL file on the calling thread: `fs.fdatasyncSync`, or a test's stand-in. */
export type FlushFileNow = (fd: number) => void;

/**
 * `synchronous=FULL` off the event loop. SQLite runs with `synchronous=NORMAL` (a commit writes
 * the WAL but does not fsync it; checkpoints still sync the WAL before copying it into the
 * database file, and the database file before the WAL is reused), and after each group commit
 * this flushes the WAL file on the thread pool; the commit's writes are answered once it is on
 * disk. While a flush runs, the event loop goes on parsing requests and committing the next
 * group; the groups committed meanwhile share the next flush. A lone write with no flush under
 * way is flushed on the spot instead, as `synchronous=FULL` itself does: handing it to the thread
 * pool would only add the hop there and back to its latency, with nothing else to overlap.
 */
export class WalSync {
  /** The WAL file SQLite writes, opened once: it keeps the same file while the database is open. */
  private readonly fd: number;
  private flushing = false;
  private waiting: ((error: Error | null) => void)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(
    walPath: string,
    private readonly flush: FlushFile = fdatasync,
    private readonly flushNow: FlushFileNow = fdatasyncSync,
  ) {
    this.fd = openSync(walPath, 'r');
  }

  /**
   * Calls `done` once every WAL write made before this call is on disk (or with the error that
   * prevented it). `alone` (a group of one write): flushed at once on this thread when no flush
   * is under way, and `done` called before this returns.
   */
  after(done: (error: Error | null) => void, alone = false): void {
    if (alone && !this.flushing && this.waiting.length === 0) {
      let failure: Error | null = null;
      try {
        this.flushNow(this.fd);
      } catch (error) {
        failure = error as Error;
      }
      done(failure);
      return;
    }
    this.waiting.push(done);
    if (!this.flushing) this.start();
  }

  /** Resolves when no flush runs or waits. */
  idle(): Promise<void> {
    if (!this.flushing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Closes the WAL file's descriptor; call once {@link idle}. */
  close(): void {
    closeSync(this.fd);
  }

  private start(): void {
    const batch = this.waiting;
    this.waiting = [];
    this.flushing = true;
    this.flush(this.fd, (error) => this.finish(batch, error));
  }

  private finish(batch: readonly ((error: Error | null) => void)[], error: Error | null): void {
    this.flushing = false;
    for (const done of batch) done(error);
    // Writes made while this flush ran are not covered by it: they get one of their own.
    if (this.waiting.length > 0) this.start();
    else for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
