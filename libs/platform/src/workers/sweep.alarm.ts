import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Clock } from '#workflows/protocol';
import { CLOCK } from '../platform.constants.js';

/** Longer delays re-arm the timer: Node fires anything past 2^31-1 ms at once. */
const MAX_TIMER_MS = 3_600_000;
/** Most wake times kept; past it the latest are dropped (the periodic sweep still catches them). */
const MAX_PENDING_WAKES = 10_000;

/**
 * Wakes the timeouts sweep when a durable timer this node started comes due, so that timers
 * fire on time rather than at the next periodic sweep. Keeps the pending wake times in order
 * and one Node timer for the earliest. Timers started by other platform nodes are caught by
 * the periodic sweep.
 */
@Injectable()
export class SweepAlarm implements OnModuleDestroy {
  private wakes: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private listener: (() => void) | null = null;
  private stopped = false;

  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  /** Sets what runs when a wake time is reached (the sweeper's sweep). */
  onWake(listener: () => void): void {
    this.listener = listener;
  }

  /** Asks for a sweep at `epochMs` (platform time). */
  wakeAt(epochMs: number): void {
    if (this.stopped || !Number.isFinite(epochMs)) return;
    const index = this.insertionIndex(epochMs);
    if (this.wakes[index] === epochMs) return;
    this.wakes.splice(index, 0, epochMs);
    if (this.wakes.length > MAX_PENDING_WAKES) this.wakes.pop();
    if (index === 0) this.arm();
  }

  /** The earliest pending wake time, or `null`; for the tests. */
  nextWakeAt(): number | null {
    return this.wakes[0] ?? null;
  }

  /** The pending wake times, earliest first; for the tests. */
  pendingWakes(): number[] {
    return [...this.wakes];
  }

  /** Drops every pending wake and the timer. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.wakes = [];
  }

  onModuleDestroy(): void {
    this.stop();
  }

  private insertionIndex(epochMs: number): number {
    let low = 0;
    let high = this.wakes.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.wakes[middle]! < epochMs) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const next = this.wakes[0];
    if (next === undefined || this.stopped) return;
    this.timer = setTimeout(() => this.fire(), Math.min(MAX_TIMER_MS, Math.max(0, next - this.clock.now())));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = null;
    const now = this.clock.now();
    let due = 0;
    while (due < this.wakes.length && this.wakes[due]! <= now) due++;
    this.wakes.splice(0, due);
    // Node may fire a millisecond early by the clock: then nothing is due yet and the timer is re-armed.
    if (due > 0) this.listener?.();
    this.arm();
  }
}
