/** What an activity attempt knows about itself. */
export interface ActivityInfo {
  activityName: string;
  activityId: number;
  executionId: string;
  runId: string;
  workflowName: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** When this attempt must finish, epoch milliseconds of the platform's clock at lease time plus the timeout. */
  startToCloseTimeoutMs: number;
}

/**
 * The running activity attempt. Inject it into an activity provider's constructor: the
 * provider is then resolved once per task, in a DI scope of its own.
 */
export class ActivityContext {
  constructor(
    /** Ids, names and attempt number. */
    readonly info: ActivityInfo,
    /** Fires when the attempt should stop (worker shutdown past its grace period, or cancellation). */
    readonly signal: AbortSignal,
  ) {}

  /** The attempt number, 1 for the first. */
  get attempt(): number {
    return this.info.attempt;
  }
}
