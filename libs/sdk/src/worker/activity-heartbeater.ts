import type { JsonValue } from '#workflows/protocol';
import { CancelledFailure } from '../errors/cancelled-failure.js';
import { WorkflowsApiError } from '../errors/workflows-api.error.js';
import { toJsonPayload } from '../runtime/payload.js';
import type { PlatformTransport } from '../transport/platform-transport.js';

/** How often heartbeats are sent when the activity has no heartbeat timeout. */
const DEFAULT_THROTTLE_MS = 10_000;

/**
 * Sends one activity attempt's heartbeats, throttled to half its heartbeat timeout: the
 * first at once, then at most one per interval carrying the latest details. When the platform
 * refuses one (the attempt was superseded or the task is gone), the attempt's AbortController
 * is aborted so the activity can stop.
 */
export class ActivityHeartbeater {
  private readonly throttleMs: number;
  private latest: JsonValue | null = null;
  private pending = false;
  private sending = false;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly transport: PlatformTransport,
    private readonly workerId: () => string,
    private readonly taskToken: string,
    heartbeatTimeoutMs: number,
    private readonly attempt: AbortController,
    /** Monotonic milliseconds, for throttling only. */
    private readonly elapsed: () => number,
  ) {
    this.throttleMs = heartbeatTimeoutMs > 0 ? Math.max(20, heartbeatTimeoutMs / 2) : DEFAULT_THROTTLE_MS;
  }

  /** Records the latest details and sends them now or at the end of the throttle interval. */
  record(details: unknown): void {
    if (this.stopped) return;
    this.latest = details === undefined ? null : toJsonPayload(details, 'heartbeat details');
    this.pending = true;
    this.schedule();
  }

  /** Stops sending; called when the attempt ends. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.sending || this.timer || !this.pending) return;
    const wait = this.lastSentAt + this.throttleMs - this.elapsed();
    if (wait <= 0) void this.send();
    else {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.send();
      }, wait);
      this.timer.unref();
    }
  }

  private async send(): Promise<void> {
    if (this.stopped) return;
    this.sending = true;
    this.pending = false;
    this.lastSentAt = this.elapsed();
    try {
      const response = await this.transport.heartbeatTask({ worker_id: this.workerId(), task_token: this.taskToken, details: this.latest });
      if (response.cancel_requested) {
        this.stop();
        this.attempt.abort(new CancelledFailure('The workflow cancelled this activity'));
        return;
      }
    } catch (error) {
      if (error instanceof WorkflowsApiError && (error.status === 409 || error.status === 404)) {
        this.stop();
        // The attempt is no longer current (timed out, handed to another worker, or its run closed): it should stop.
        this.attempt.abort(new CancelledFailure(`This attempt was superseded: ${error.detail}`));
        return;
      }
      // A transient failure: the next heartbeat tries again.
      this.pending = true;
    } finally {
      this.sending = false;
    }
    this.schedule();
  }
}
