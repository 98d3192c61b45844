import type { JsonValue } from '#workflows/protocol';

/** What an activity attempt knows about itself. */
export interface ActivityInfo {
  activityName: string;
  activityId: number;
  executionId: string;
  runId: string;
  workflowName: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Longest this attempt may run. */
  startToCloseTimeoutMs: number;
  /** Heartbeat at least this often (0: not required). */
  heartbeatTimeoutMs: number;
  /** Details of the last heartbeat an earlier attempt recorded, to resume from; `null` if none. */
  heartbeatDetails: JsonValue | null;
}

/**
 * The running activity attempt. Inject it into an activity provider's constructor: the
 * provider is then resolved once per task, in a DI scope of its own.
 */
export class ActivityContext {
  constructor(
    /** Ids, names, attempt number and the last heartbeat details. */
    readonly info: ActivityInfo,
    /**
     * Fires when the attempt should stop: its heartbeat was refused (another attempt
     * superseded it), or the worker is shutting down past its grace period.
     */
    readonly signal: AbortSignal,
    private readonly onHeartbeat: (details: unknown) => void = () => undefined,
  ) {}

  /** The attempt number, 1 for the first. */
  get attempt(): number {
    return this.info.attempt;
  }

  /**
   * Tells the platform this attempt is alive, with optional progress details (JSON) that a
   * later attempt reads from `info.heartbeatDetails`. Cheap to call often: sends are throttled.
   */
  heartbeat(details?: unknown): void {
    this.onHeartbeat(details);
  }
}
