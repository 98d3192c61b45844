import { performance } from 'node:perf_hooks';
import type { HeartbeatTaskRequest, HeartbeatTaskResponse } from '#workflows/protocol';
import { CancelledFailure } from '../errors/cancelled-failure.js';
import { WorkflowsApiError } from '../errors/workflows-api.error.js';
import type { PlatformTransport } from '../transport/platform-transport.js';
import { ActivityHeartbeater } from './activity-heartbeater.js';

/** Records heartbeats; PlatformTransport is the declared seam for fakes. */
class RecordingTransport {
  readonly sent: HeartbeatTaskRequest[] = [];
  refuse = false;
  cancel = false;
  private listeners: (() => void)[] = [];

  async heartbeatTask(body: HeartbeatTaskRequest): Promise<HeartbeatTaskResponse> {
    this.sent.push(body);
    for (const listener of this.listeners.splice(0)) listener();
    if (this.refuse) throw new WorkflowsApiError(409, 'WF_TASK_TOKEN_STALE', 'attempt 2 holds the task now');
    return { cancel_requested: this.cancel };
  }

  async received(count: number): Promise<void> {
    while (this.sent.length < count) await new Promise<void>((resolve) => this.listeners.push(resolve));
  }
}

function heartbeater(transport: RecordingTransport, attempt: AbortController): ActivityHeartbeater {
  return new ActivityHeartbeater(transport as unknown as PlatformTransport, () => 'w-1', 'a7.1', 40, attempt, () => performance.now());
}

describe('ActivityHeartbeater', () => {
  it('sends the first heartbeat at once and then only the latest details per interval', async () => {
    const transport = new RecordingTransport();
    const beats = heartbeater(transport, new AbortController());
    beats.record({ step: 1 });
    beats.record({ step: 2 });
    beats.record({ step: 3 });
    await transport.received(2);
    beats.stop();
    expect(transport.sent).toEqual([
      { worker_id: 'w-1', task_token: 'a7.1', details: { step: 1 } },
      { worker_id: 'w-1', task_token: 'a7.1', details: { step: 3 } },
    ]);
  });

  it('aborts the attempt when the platform says it was superseded', async () => {
    const transport = new RecordingTransport();
    transport.refuse = true;
    const attempt = new AbortController();
    const aborted = new Promise<unknown>((resolve) => attempt.signal.addEventListener('abort', () => resolve(attempt.signal.reason)));
    heartbeater(transport, attempt).record('working');
    expect(String(await aborted)).toContain('superseded: attempt 2 holds the task now');
  });

  it('aborts the attempt with a CancelledFailure when the workflow cancelled the activity, and stops heartbeating', async () => {
    const transport = new RecordingTransport();
    transport.cancel = true;
    const attempt = new AbortController();
    const aborted = new Promise<unknown>((resolve) => attempt.signal.addEventListener('abort', () => resolve(attempt.signal.reason)));
    const beats = heartbeater(transport, attempt);
    beats.record('working');
    const reason = await aborted;
    expect(reason).toBeInstanceOf(CancelledFailure);
    expect((reason as Error).message).toBe('The workflow cancelled this activity');
    beats.record('still working');
    expect(transport.sent).toHaveLength(1);
  });

  it('refuses details that are not JSON, naming the path', () => {
    const beats = heartbeater(new RecordingTransport(), new AbortController());
    expect(() => beats.record({ big: 1n })).toThrow(/heartbeat details\.big: BigInt/);
    beats.stop();
  });
});
