import type { Duration } from '#workflows/protocol';
import type { WorkflowInfo } from './workflow-info.js';

/** What the workflow context needs from the run it belongs to. */
export interface WorkflowContextHost {
  readonly info: WorkflowInfo;
  readonly cancellationRequested: boolean;
  sleep(duration: Duration): Promise<void>;
  condition(predicate: () => boolean, timeout?: Duration): Promise<boolean>;
}

/**
 * A workflow's window on its execution. Inject it into a `@Workflow()` class's constructor:
 * each execution gets its own, so nothing leaks between executions.
 */
export class WorkflowContext {
  constructor(private readonly host: WorkflowContextHost) {}

  /** The execution's workflow name, ids and task attempt. */
  get info(): WorkflowInfo {
    return this.host.info;
  }

  /**
   * Waits for `duration` on a durable timer kept by the platform: it survives worker and
   * platform restarts, and fires once. `'30s'`, `'1h'`, `'7d'` or milliseconds.
   * Rejects with `CancelledFailure` when the execution is cancelled meanwhile.
   */
  sleep(duration: Duration): Promise<void> {
    return this.host.sleep(duration);
  }

  /**
   * Waits until `predicate` holds: it is checked after every signal, update and result the
   * workflow receives. With a `timeout`, resolves `false` if it did not hold in time (a durable
   * timer), `true` otherwise. Rejects with `CancelledFailure` when the execution is cancelled.
   */
  condition(predicate: () => boolean, timeout?: Duration): Promise<boolean> {
    return this.host.condition(predicate, timeout);
  }

  /** Whether the execution was asked to cancel (`handle.cancel()`); stays true once it is. */
  get cancellationRequested(): boolean {
    return this.host.cancellationRequested;
  }
}
