import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { STORE } from '../platform.constants.js';
import type { CreatedTask, Store, TransitionOutcome } from '../store/store.interface.js';
import { SweepAlarm } from '../workers/sweep.alarm.js';
import { ExecutionWaiters } from './execution.waiters.js';
import { TaskMatcher } from './task.matcher.js';

/**
 * Tells the waiting polls, the execution waiters and the timeouts sweep what a committed
 * transition did: this process's own transitions through {@link TransitionPublisher.publish},
 * and those of other platform processes on the same database as the store reports them
 * (`Store.subscribe`). Changes of executions (events appended, queries answered) come from the
 * store for every process, this one included.
 */
@Injectable()
export class TransitionPublisher implements OnModuleInit, OnModuleDestroy {
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly matcher: TaskMatcher,
    private readonly waiters: ExecutionWaiters,
    private readonly alarm: SweepAlarm,
    @Inject(STORE) private readonly store: Store,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.store.subscribe({
      transition: (namespace, outcome) => this.publish(namespace, outcome),
      changed: (namespace, executionIds) => {
        for (const executionId of executionIds) this.waiters.notify(namespace, executionId);
      },
      resync: () => {
        this.matcher.wakeAll();
        this.waiters.recheckAll();
      },
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Wakes pollers for the created tasks, the sweep for durable timers, and the waits on a closed execution. */
  publish(namespace: string, outcome: { tasks: readonly CreatedTask[]; closed?: TransitionOutcome['closed']; alsoClosed?: TransitionOutcome['alsoClosed'] }): void {
    this.matcher.notify(namespace, outcome.tasks);
    for (const task of outcome.tasks) if (task.kind === 'timer') this.alarm.wakeAt(task.visibleAt);
    if (outcome.closed) this.waiters.notify(namespace, outcome.closed.executionId, 'close');
    for (const closed of outcome.alsoClosed ?? []) this.waiters.notify(namespace, closed.executionId, 'close');
  }
}
