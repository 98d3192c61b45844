import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CommandType, EventType, type WorkflowTaskWire } from '#workflows/protocol';
import { KEY_B, PlatformTestHarness } from '../testing/platform-test.harness.js';
import { SimulatedWorker } from '../testing/simulated-worker.js';

const WORKFLOW = {
  name: 'wf',
  signals: [{ name: 'approve', input_schema: { type: 'object', properties: { by: { type: 'string', minLength: 1 } }, required: ['by'] } }, { name: 'poke' }],
};

describe('signals, cancellation and termination reach running executions', () => {
  let h: PlatformTestHarness;
  let worker: SimulatedWorker;
  beforeAll(async () => {
    h = await PlatformTestHarness.start();
    worker = await SimulatedWorker.register(h, { workflows: [WORKFLOW] });
  });
  afterAll(async () => {
    await h.close();
  });

  let next = 0;
  const start = async (key?: string): Promise<string> => {
    const executionId = `e${++next}`;
    const response = await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: executionId }, ...(key ? { key } : {}) });
    expect(response.status).toBe(201);
    return executionId;
  };
  const types = async (executionId: string): Promise<string[]> =>
    (await h.call('GET', `/v1/workflows/executions/${executionId}/history?page_size=1000`)).body.events.map((e: { event_type: string }) => e.event_type);
  /** Takes the execution's pending workflow task and completes it with `commands`. */
  const completeTask = async (executionId: string, commands: unknown[]): Promise<WorkflowTaskWire> => {
    const task = (await worker.take()) as WorkflowTaskWire;
    expect(task.execution_id).toBe(executionId);
    expect((await worker.complete(task.task_token, { commands })).status).toBe(200);
    return task;
  };
  const closeCompleted = async (executionId: string) => completeTask(executionId, [{ type: CommandType.CompleteWorkflow, result: 'done' }]);
  const signal = (executionId: string, body: unknown, key?: string) =>
    h.call('POST', `/v1/workflows/executions/${executionId}/signals`, { body, ...(key ? { key } : {}) });

  describe('a signal', () => {
    it('is recorded with its input, 202, and a workflow task carries it to the worker', async () => {
      const id = await start();
      await completeTask(id, []);
      const response = await signal(id, { name: 'approve', input: { by: 'ann' } });
      expect(response.status).toBe(202);
      const run = await h.call('GET', `/v1/workflows/executions/${id}`);
      expect(response.body).toEqual({ execution_id: id, run_id: run.body.run_id });
      const task = (await worker.take()) as WorkflowTaskWire;
      expect(task.execution_id).toBe(id);
      const signaled = task.history.find((e) => e.event_type === EventType.WorkflowExecutionSignaled);
      expect(signaled?.attributes).toEqual({ signal_name: 'approve', input: { by: 'ann' } });
      expect((await worker.complete(task.task_token, { commands: [] })).status).toBe(200);
      // A handler without a schema takes any JSON, or none.
      expect((await signal(id, { name: 'poke' })).status).toBe(202);
      expect((await signal(id, { name: 'poke', input: [1, { deep: null }] })).status).toBe(202);
      await closeCompleted(id);
    });

    it('of a name the workflow does not define is 404 WF_SIGNAL_NOT_FOUND naming both, and records nothing', async () => {
      const id = await start();
      const before = await types(id);
      const response = await signal(id, { name: 'reject' });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('WF_SIGNAL_NOT_FOUND');
      expect(response.body.detail).toContain("'reject'");
      expect(response.body.detail).toContain("'wf'");
      expect(response.body.detail).toContain("'approve'");
      expect(await types(id)).toEqual(before);
      await closeCompleted(id);
    });

    it('with an input its schema refuses is 422 naming the field, and records nothing', async () => {
      const id = await start();
      const before = await types(id);
      const missing = await signal(id, { name: 'approve', input: {} });
      expect(missing.status).toBe(422);
      expect(missing.body).toEqual({ code: 'WF_REQUEST_INVALID', detail: 'input.by: is required' });
      const wrong = await signal(id, { name: 'approve', input: { by: 7 } });
      expect(wrong.body).toEqual({ code: 'WF_REQUEST_INVALID', detail: 'input.by: must be string' });
      expect(await types(id)).toEqual(before);
      await closeCompleted(id);
    });

    it.each([
      ['a missing name', {}, 'name is required'],
      ['an unknown field', { name: 'poke', colour: 'red' }, 'colour is not a known field'],
      ['a name with control characters', { name: 'a\nb' }, 'name must not contain control characters'],
    ])('with %s is 422 naming the field', async (_what, body, detail) => {
      const response = await signal('anything', body);
      expect(response.body).toEqual({ code: 'WF_REQUEST_INVALID', detail });
    });

    it('to a closed execution is 409 WF_EXECUTION_CLOSED naming its status, and nothing follows the terminal event (R37)', async () => {
      const id = await start();
      await closeCompleted(id);
      const before = await types(id);
      expect(before[before.length - 1]).toBe(EventType.WorkflowExecutionCompleted);
      const response = await signal(id, { name: 'poke' });
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('WF_EXECUTION_CLOSED');
      expect(response.body.detail).toContain('COMPLETED');
      expect(await types(id)).toEqual(before);
    });

    it("to a missing execution, or another namespace's, is the same 404 (R42)", async () => {
      const id = await start();
      const before = await types(id);
      const missing = await signal('nowhere', { name: 'poke' });
      const foreign = await signal(id, { name: 'poke' }, KEY_B);
      expect([missing.status, foreign.status]).toEqual([404, 404]);
      expect(foreign.body).toEqual({ code: 'WF_EXECUTION_NOT_FOUND', detail: missing.body.detail.replace('nowhere', id) });
      expect(await types(id)).toEqual(before);
      await closeCompleted(id);
    });
  });

  describe('signal-with-start', () => {
    it('starts the execution with the signal when none exists (201), and signals it when it runs (200)', async () => {
      const started = await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'sws', input: 1, signal: { name: 'approve', input: { by: 'ann' } } } });
      expect(started.status).toBe(201);
      expect(started.body).toMatchObject({ execution_id: 'sws', status: 'RUNNING' });
      const again = await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'sws', signal: { name: 'poke' } } });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ execution_id: 'sws', run_id: started.body.run_id, status: 'RUNNING' });
      expect(await types('sws')).toEqual([EventType.WorkflowExecutionStarted, EventType.WorkflowExecutionSignaled, EventType.WorkflowExecutionSignaled]);
      await closeCompleted('sws');
      const closed = await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'sws', signal: { name: 'poke' } } });
      expect(closed.status).toBe(409);
      expect(closed.body.code).toBe('WF_EXECUTION_CLOSED');
      expect(closed.body.detail).toContain('COMPLETED');
    });

    it("checks the signal like a signal: unknown name 404, bad input 422 naming signal.input, and nothing starts", async () => {
      const unknown = await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'sws-bad', signal: { name: 'nope' } } });
      expect(unknown.body.code).toBe('WF_SIGNAL_NOT_FOUND');
      const invalid = await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'sws-bad', signal: { name: 'approve', input: { by: '' } } } });
      expect(invalid.body).toEqual({ code: 'WF_REQUEST_INVALID', detail: 'signal.input.by: must NOT have fewer than 1 characters' });
      expect((await h.call('GET', '/v1/workflows/executions/sws-bad')).status).toBe(404);
    });
  });

  describe('cancel and terminate', () => {
    it('a cancellation request is recorded once (202) and handed to the workflow', async () => {
      const id = await start();
      await completeTask(id, []);
      const response = await h.call('POST', `/v1/workflows/executions/${id}/cancel`, { body: { reason: 'customer left' } });
      expect(response.status).toBe(202);
      expect(response.body.execution_id).toBe(id);
      const task = (await worker.take()) as WorkflowTaskWire;
      const requested = task.history.find((e) => e.event_type === EventType.WorkflowExecutionCancelRequested);
      expect(requested?.attributes).toEqual({ reason: 'customer left' });
      expect((await worker.complete(task.task_token, { commands: [{ type: CommandType.CancelWorkflow, reason: 'customer left' }] })).status).toBe(200);
      expect((await h.call('GET', `/v1/workflows/executions/${id}`)).body.status).toBe('CANCELED');
    });

    it("a running activity the workflow asks to stop learns it from its heartbeat's cancel_requested", async () => {
      const id = await start();
      const retry = { initial_interval_ms: 10, backoff_coefficient: 2, maximum_interval_ms: 100, maximum_attempts: 1, non_retryable_error_types: [] };
      await completeTask(id, [
        { type: CommandType.ScheduleActivity, activity_id: 1, activity_name: 'act', input: [], start_to_close_timeout_ms: 60_000, heartbeat_timeout_ms: 30_000, retry },
      ]);
      const activity = await worker.take({ wf: 0, act: 1 });
      const heartbeat = () => h.call('POST', '/v1/workflows/tasks/heartbeat', { body: { worker_id: worker.workerId, task_token: activity.task_token } });
      expect((await heartbeat()).body).toEqual({ cancel_requested: false });
      expect((await h.call('POST', `/v1/workflows/executions/${id}/cancel`)).status).toBe(202);
      await completeTask(id, [{ type: CommandType.RequestCancelActivity, activity_id: 1 }]);
      expect((await heartbeat()).body).toEqual({ cancel_requested: true });
      expect((await h.call('POST', `/v1/workflows/executions/${id}/terminate`)).status).toBe(202);
    });

    it('termination ends the run at once, 202; its task token goes stale and a second one is 409', async () => {
      const id = await start();
      const task = (await worker.take()) as WorkflowTaskWire;
      const response = await h.call('POST', `/v1/workflows/executions/${id}/terminate`, { body: { reason: 'stuck' } });
      expect(response.status).toBe(202);
      const execution = await h.call('GET', `/v1/workflows/executions/${id}`);
      expect(execution.body.status).toBe('TERMINATED');
      const history = await types(id);
      expect(history[history.length - 1]).toBe(EventType.WorkflowExecutionTerminated);
      expect((await worker.complete(task.task_token, { commands: [{ type: CommandType.CompleteWorkflow, result: 1 }] })).status).toBe(409);
      for (const action of ['terminate', 'cancel']) {
        const again = await h.call('POST', `/v1/workflows/executions/${id}/${action}`, { body: {} });
        expect(again.status).toBe(409);
        expect(again.body.code).toBe('WF_EXECUTION_CLOSED');
        expect(again.body.detail).toContain('TERMINATED');
      }
      expect(await types(id)).toEqual(history);
    });

    it('take an empty body, and refuse an overlong reason with 422', async () => {
      const id = await start();
      expect((await h.call('POST', `/v1/workflows/executions/${id}/cancel`)).status).toBe(202);
      const long = await h.call('POST', `/v1/workflows/executions/${id}/terminate`, { body: { reason: 'x'.repeat(1001) } });
      expect(long.body).toEqual({ code: 'WF_REQUEST_INVALID', detail: 'reason must be at most 1000 characters (got 1001)' });
      expect((await h.call('GET', `/v1/workflows/executions/${id}`)).body.status).toBe('RUNNING');
      expect((await h.call('POST', `/v1/workflows/executions/${id}/terminate`)).status).toBe(202);
    });

    it("of a missing execution, or another namespace's, are 404 and change nothing (R37, R42)", async () => {
      const id = await start();
      for (const action of ['cancel', 'terminate']) {
        expect((await h.call('POST', `/v1/workflows/executions/nowhere/${action}`, { body: {} })).body.code).toBe('WF_EXECUTION_NOT_FOUND');
        expect((await h.call('POST', `/v1/workflows/executions/${id}/${action}`, { body: {}, key: KEY_B })).body.code).toBe('WF_EXECUTION_NOT_FOUND');
      }
      expect(await types(id)).toEqual([EventType.WorkflowExecutionStarted]);
      expect((await h.call('POST', `/v1/workflows/executions/${id}/terminate`)).status).toBe(202);
    });

    it('in a batch give one result per id, in order: done, closed, missing', async () => {
      const running = await start();
      const closed = await start();
      await h.call('POST', `/v1/workflows/executions/${closed}/terminate`);
      const response = await h.call('POST', '/v1/workflows/executions/terminate', { body: { execution_ids: [running, closed, 'nowhere'], reason: 'cleanup' } });
      expect(response.status).toBe(200);
      expect(response.body.results).toEqual([
        { execution_id: running, ok: true },
        { execution_id: closed, ok: false, code: 'WF_EXECUTION_CLOSED', detail: expect.stringContaining('TERMINATED') },
        { execution_id: 'nowhere', ok: false, code: 'WF_EXECUTION_NOT_FOUND', detail: expect.stringContaining('nowhere') },
      ]);
      expect((await h.call('GET', `/v1/workflows/executions/${running}`)).body.status).toBe('TERMINATED');

      const cancelled = await start();
      const foreign = await h.call('POST', '/v1/workflows/executions/cancel', { body: { execution_ids: [cancelled] }, key: KEY_B });
      expect(foreign.body.results).toEqual([{ execution_id: cancelled, ok: false, code: 'WF_EXECUTION_NOT_FOUND', detail: expect.any(String) }]);
      const cancel = await h.call('POST', '/v1/workflows/executions/cancel', { body: { execution_ids: [cancelled] } });
      expect(cancel.body.results).toEqual([{ execution_id: cancelled, ok: true }]);
      expect(await types(cancelled)).toEqual([EventType.WorkflowExecutionStarted, EventType.WorkflowExecutionCancelRequested]);
      await h.call('POST', `/v1/workflows/executions/${cancelled}/terminate`);
    });

    it.each([
      ['no ids', { execution_ids: [] }, 'execution_ids must name at least one execution'],
      ['a repeated id', { execution_ids: ['a', 'b', 'a'] }, "execution_ids[2] repeats 'a'"],
      ['an empty id', { execution_ids: ['a', ''] }, 'execution_ids[1] must not be empty'],
      ['too many ids', { execution_ids: Array.from({ length: 1001 }, (_, i) => `e${i}`) }, 'execution_ids must have at most 1000 items (got 1001)'],
      ['no list', { reason: 'x' }, 'execution_ids is required'],
    ])('in a batch with %s are 422 naming the field', async (_what, body, detail) => {
      for (const action of ['cancel', 'terminate']) {
        expect((await h.call('POST', `/v1/workflows/executions/${action}`, { body })).body).toEqual({ code: 'WF_REQUEST_INVALID', detail });
      }
    });
  });

  it('50 concurrent starts of one execution id create exactly one; the others are 409 naming its run (R30)', async () => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'r30', input: i } })),
    );
    const created = responses.filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    const runId = created[0]!.body.run_id;
    const refused = responses.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(49);
    for (const response of refused) {
      expect(response.status).toBe(409);
      expect(response.body).toEqual({ code: 'WF_EXECUTION_ALREADY_STARTED', detail: `execution 'r30' already started (run_id ${runId})` });
    }
    const runs = await h.call('GET', '/v1/workflows/runs?page_size=1000');
    expect(runs.body.executions.filter((e: { execution_id: string }) => e.execution_id === 'r30')).toHaveLength(1);
    expect(await types('r30')).toEqual([EventType.WorkflowExecutionStarted]);
    await h.call('POST', '/v1/workflows/executions/r30/terminate');
  });
});
