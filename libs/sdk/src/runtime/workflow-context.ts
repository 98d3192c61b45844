import type { WorkflowInfo } from './workflow-info.js';

/** What the workflow context needs from the run it belongs to. */
export interface WorkflowContextHost {
  readonly info: WorkflowInfo;
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
}
