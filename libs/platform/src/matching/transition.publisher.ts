import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { STORE } from '../platform.constants.js';
import type { CreatedTask, Store, TransitionOutcome } from '../store/store.interface.js';
import { ResultWaiters } from './result.waiters.js';
import { TaskMatcher } from './task.matcher.js';

/**
 * Tells the waiting polls and result waiters what a committed transition did: this process's
 * own transitions through {@link TransitionPublisher.publish}, and those of other platform
 * processes on the same database as the store reports them (`Store.subscribe`).
 */
@Injectable()
export class TransitionPublisher implements OnModuleInit, OnModuleDestroy {
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly matcher: TaskMatcher,
    private readonly results: ResultWaiters,
    @Inject(STORE) private readonly store: Store,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.store.subscribe({
      transition: (namespace, outcome) => this.publish(namespace, outcome),
      resync: () => {
        this.matcher.wakeAll();
        this.results.recheckAll();
      },
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Wakes pollers for the created tasks and result waiters for a closed execution. */
  publish(namespace: string, outcome: { tasks: readonly CreatedTask[]; closed?: TransitionOutcome['closed'] }): void {
    this.matcher.notify(namespace, outcome.tasks);
    if (outcome.closed) this.results.notifyClosed(namespace, outcome.closed.executionId);
  }
}
