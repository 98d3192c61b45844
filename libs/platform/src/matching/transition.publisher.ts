import { Injectable } from '@nestjs/common';
import type { CreatedTask, TransitionOutcome } from '../store/store.interface.js';
import { ResultWaiters } from './result.waiters.js';
import { TaskMatcher } from './task.matcher.js';

/** Tells the waiting polls and result waiters what a committed transition did. */
@Injectable()
export class TransitionPublisher {
  constructor(
    private readonly matcher: TaskMatcher,
    private readonly results: ResultWaiters,
  ) {}

  /** Wakes pollers for the created tasks and result waiters for a closed execution. */
  publish(namespace: string, outcome: { tasks: readonly CreatedTask[]; closed?: TransitionOutcome['closed'] }): void {
    this.matcher.notify(namespace, outcome.tasks);
    if (outcome.closed) this.results.notifyClosed(namespace, outcome.closed.executionId);
  }
}
