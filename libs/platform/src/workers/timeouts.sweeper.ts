import { Inject, Injectable, type BeforeApplicationShutdown, type LoggerService, type OnApplicationBootstrap } from '@nestjs/common';
import type { Clock } from '#workflows/protocol';
import { TransitionPublisher } from '../matching/transition.publisher.js';
import type { ResolvedPlatformOptions } from '../options/platform.options.js';
import { CLOCK, PLATFORM_LOGGER, PLATFORM_OPTIONS, STORE } from '../platform.constants.js';
import type { NamespaceTasks, Store } from '../store/store.interface.js';
import { SweepAlarm } from './sweep.alarm.js';

/** The sweep runs at most this often, so that a dead worker's tasks come back within about a second of its expiry. */
const MAX_SWEEP_INTERVAL_MS = 1000;
/** Due deadlines taken per transaction, so that one sweep never holds the write lock for long. */
export const TIMEOUT_BATCH = 100;
/** Batches one sweep takes at most; a larger backlog continues at the next tick. */
const MAX_BATCHES_PER_SWEEP = 100;
/** Closed tasks are kept this long, so that a worker's retried completion is recognised (R14). */
export const CLOSED_TASK_RETENTION_MS = 60 * 60 * 1000;
/** Closed tasks deleted per sweep at most. */
const PURGE_BATCH = 1000;

/**
 * The platform's own clock work, every tick: takes back the tasks of worker sessions that
 * stopped heartbeating (or were purged), fires due task deadlines (workflow task timeouts,
 * activity timeouts) through the store's deadline index in bounded batches, purges old closed
 * tasks, and wakes the polls that can take what was queued again. Between ticks, the
 * {@link SweepAlarm} runs a sweep when a durable timer this node started comes due, so that
 * timers fire on time.
 *
 * At start, before the first sweep, every open session gets a fresh session timeout: the
 * platform was down, so live workers could not heartbeat, and they must get the chance to
 * before their leases are taken back. Deadlines that came due during the downtime are handled
 * by that first sweep, each once.
 */
@Injectable()
export class TimeoutsSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PLATFORM_OPTIONS) private readonly options: ResolvedPlatformOptions,
    @Inject(PLATFORM_LOGGER) private readonly logger: LoggerService | null,
    private readonly publisher: TransitionPublisher,
    private readonly alarm: SweepAlarm,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      const now = this.clock.now();
      const refreshed = await this.store.refreshWorkerSessions(now, now + this.options.sessionTimeoutMs);
      if (refreshed > 0) this.logger?.log(`Gave ${refreshed} open worker session(s) a fresh timeout after the restart`);
    } catch (error) {
      this.logger?.error(`Refreshing worker sessions at start failed: ${message(error)}`);
    }
    await this.sweep();
    // A sweep still queued behind the running one reads the clock when it starts: one is enough.
    this.alarm.onWake(() => {
      if (this.pending <= 1) void this.sweep();
    });
    const interval = Math.min(MAX_SWEEP_INTERVAL_MS, this.options.heartbeatIntervalMs);
    this.timer = setInterval(() => {
      if (this.pending === 0) void this.sweep();
    }, interval);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.alarm.stop();
    await this.queue;
  }

  /** One sweep at the clock's now, after any sweep still running; never rejects. */
  sweep(): Promise<void> {
    this.pending++;
    const next = this.queue.then(async () => {
      try {
        await this.sweepOnce();
      } finally {
        this.pending--;
      }
    });
    this.queue = next;
    return next;
  }

  private async sweepOnce(): Promise<void> {
    const now = this.clock.now();
    await this.step('Taking back expired leases', async () => this.publish(await this.store.expireLeases(now)));
    await this.step('Firing due timeouts', async () => {
      for (let batch = 0; batch < MAX_BATCHES_PER_SWEEP; batch++) {
        const { fired, released } = await this.store.expireTimeouts(now, TIMEOUT_BATCH);
        this.publish(released);
        if (fired < TIMEOUT_BATCH) return;
      }
    });
    await this.step('Purging closed tasks', () => this.store.purgeClosedTasks(now - CLOSED_TASK_RETENTION_MS, PURGE_BATCH));
  }

  private publish(released: NamespaceTasks[]): void {
    for (const { namespace, tasks } of released) this.publisher.publish(namespace, { tasks });
  }

  private async step(what: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.logger?.error(`${what} failed: ${message(error)}`);
    }
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
