import { Inject, Injectable, type BeforeApplicationShutdown, type LoggerService, type OnApplicationBootstrap } from '@nestjs/common';
import type { Clock } from '#workflows/protocol';
import { TransitionPublisher } from '../matching/transition.publisher.js';
import type { ResolvedPlatformOptions } from '../options/platform.options.js';
import { CLOCK, PLATFORM_LOGGER, PLATFORM_OPTIONS, STORE } from '../platform.constants.js';
import type { Store } from '../store/store.interface.js';

/** The sweep runs at most this often, so that a dead worker's tasks come back within about a second of its expiry. */
const MAX_SWEEP_INTERVAL_MS = 1000;

/**
 * Gives the tasks of expired worker sessions back: every sweep asks the store to take back
 * the leases of sessions that stopped heartbeating, and wakes the polls that can take them.
 */
@Injectable()
export class LeaseSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PLATFORM_OPTIONS) private readonly options: ResolvedPlatformOptions,
    @Inject(PLATFORM_LOGGER) private readonly logger: LoggerService | null,
    private readonly publisher: TransitionPublisher,
  ) {}

  onApplicationBootstrap(): void {
    const interval = Math.min(MAX_SWEEP_INTERVAL_MS, this.options.heartbeatIntervalMs);
    this.timer = setInterval(() => void this.sweep(), interval);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One sweep; a sweep still running is not started twice. */
  sweep(): Promise<void> {
    this.running ??= (async () => {
      try {
        for (const { namespace, tasks } of await this.store.expireLeases(this.clock.now())) {
          this.publisher.publish(namespace, { tasks });
        }
      } catch (error) {
        this.logger?.error(`Taking back expired leases failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }
}
