import type { Failure, TaskWire } from '#workflows/protocol';
import { KEY_A, registration, type ApiResponse, type PlatformTestHarness } from './platform-test.harness.js';

/** A worker driven by hand over the worker protocol, for the API specs: register, poll, complete, fail. */
export class SimulatedWorker {
  private constructor(
    private readonly h: PlatformTestHarness,
    readonly workerId: string,
    private readonly key: string,
  ) {}

  /** Registers (with `registration(overrides)`); fails the spec unless the platform answers 201. */
  static async register(h: PlatformTestHarness, overrides: Record<string, unknown> = {}, key = KEY_A): Promise<SimulatedWorker> {
    const response = await h.call('POST', '/v1/workflows/workers/register', { body: registration(overrides), key });
    if (response.status !== 201) throw new Error(`registration answered ${response.status}: ${JSON.stringify(response.body)}`);
    return new SimulatedWorker(h, response.body.worker_id, key);
  }

  /** One poll for up to the given tasks, held up to `waitMs`. */
  async poll(slots: { wf?: number; act?: number } = {}, waitMs = 0): Promise<TaskWire[]> {
    const response = await this.h.call('POST', '/v1/workflows/tasks/poll', {
      key: this.key,
      body: { worker_id: this.workerId, wait_ms: waitMs, max_workflow_tasks: slots.wf ?? 1, max_activity_tasks: slots.act ?? 0 },
    });
    if (response.status !== 200) throw new Error(`poll answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body.tasks;
  }

  /** Polls until one task comes (held up to `waitMs`); fails the spec when none does. */
  async take(slots: { wf?: number; act?: number } = {}, waitMs = 5000): Promise<TaskWire> {
    const [task] = await this.poll(slots, waitMs);
    if (!task) throw new Error('no task came');
    return task;
  }

  /** `tasks/complete` with the token and the rest of the body (`commands` or `result`). */
  complete(taskToken: string, body: Record<string, unknown>): Promise<ApiResponse> {
    return this.h.call('POST', '/v1/workflows/tasks/complete', { key: this.key, body: { worker_id: this.workerId, task_token: taskToken, ...body } });
  }

  /** `tasks/fail` with the token and the failure. */
  fail(taskToken: string, failure: Failure): Promise<ApiResponse> {
    return this.h.call('POST', '/v1/workflows/tasks/fail', { key: this.key, body: { worker_id: this.workerId, task_token: taskToken, failure } });
  }
}
