import { SystemClock, type Clock } from '#workflows/protocol';

/**
 * The clock of a test environment: it runs with real time from where it starts, and jumps
 * forward when time is skipped. It never goes back.
 */
export class TestClock implements Clock {
  private offset: number;

  /** Starts at `startAt` (epoch ms), or at the wall clock's now. */
  constructor(
    startAt?: number,
    private readonly source: Clock = new SystemClock(),
  ) {
    this.offset = startAt === undefined ? 0 : startAt - source.now();
  }

  now(): number {
    return this.source.now() + this.offset;
  }

  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    if (ms > 0) this.offset += ms;
  }

  /** Moves time forward to `epochMs`; a time already passed changes nothing. */
  advanceTo(epochMs: number): void {
    this.advance(epochMs - this.now());
  }
}
