import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { CommandType, EventType, type QueryTaskWire, type WorkflowTaskWire } from '#workflows/protocol';
import { ExecutionWaiters } from '../matching/execution.waiters.js';
import { STORE } from '../platform.constants.js';
import type { Store } from '../store/store.interface.js';
import { KEY_B, PlatformTestHarness, until } from '../testing/platform-test.harness.js';
import { SimulatedWorker } from '../testing/simulated-worker.js';

const WORKFLOW = {
  name: 'wf',
  queries: [{ name: 'status' }, { name: 'line', input_schema: { type: 'integer', minimum: 1 } }],
};

describe('queries are answered by a worker, or time out', () => {
  let h: PlatformTestHarness;
  let worker: SimulatedWorker;
  beforeEach(async () => {
    h = await PlatformTestHarness.start();
    worker = await SimulatedWorker.register(h, { workflows: [WORKFLOW] });
    expect((await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'e1', input: 'x' } })).status).toBe(201);
    const task = await worker.take();
    expect((await worker.complete(task.task_token, { commands: [] })).status).toBe(200);
  });
  afterEach(async () => {
    await h.close();
  });

  const query = (body: unknown, key?: string, signal?: AbortSignal) =>
    h.call('POST', '/v1/workflows/executions/e1/queries', { body, ...(key ? { key } : {}), ...(signal ? { signal } : {}) });
  const types = async () => (await h.call('GET', '/v1/workflows/executions/e1/history')).body.events.map((e: { event_type: string }) => e.event_type);

  it("hands the query to the workflow's poll with the history, and answers with the worker's result", async () => {
    const held = worker.poll({ wf: 1 }, 10_000);
    const asked = query({ name: 'line', input: 3, timeout_seconds: 30 });
    const [task] = (await held) as QueryTaskWire[];
    expect(task).toMatchObject({ kind: 'query', execution_id: 'e1', workflow_name: 'wf', query_name: 'line', input: 3, attempt: 1 });
    expect(task!.task_token).toMatch(/^q\d+\.1$/);
    expect(task!.history.map((e) => e.event_type)).toEqual([EventType.WorkflowExecutionStarted, EventType.WorkflowTaskCompleted]);
    expect((await worker.complete(task!.task_token, { result: { line: 'third' } })).status).toBe(200);
    const answer = await asked;
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: { result: { line: 'third' } } });
    // Nothing is recorded, and the answered token cannot answer again.
    expect(await types()).toEqual([EventType.WorkflowExecutionStarted, EventType.WorkflowTaskCompleted]);
    expect((await worker.complete(task!.task_token, { result: 'again' })).status).toBeLessThan(300);
    expect((await worker.complete(task!.task_token.replace(/\.1$/, '.2'), { result: 'forged' })).status).toBe(409);
  });

  it('answers a closed execution too: the worker replays its history', async () => {
    expect((await h.call('POST', '/v1/workflows/executions/e1/terminate')).status).toBe(202);
    const held = worker.poll({ wf: 1 }, 10_000);
    const asked = query({ name: 'status' });
    const [task] = (await held) as QueryTaskWire[];
    expect(task!.kind).toBe('query');
    await worker.complete(task!.task_token, { result: 'terminated' });
    expect((await asked).body).toEqual({ result: 'terminated' });
  });

  it("answers a handler's failure as 422 WF_QUERY_FAILED with its message and the failure", async () => {
    const held = worker.poll({ wf: 1 }, 10_000);
    const asked = query({ name: 'status' });
    const [task] = await held;
    const failure = { type: 'Error', message: 'not ready yet', non_retryable: true };
    expect((await worker.fail(task!.task_token, failure)).status).toBe(200);
    const answer = await asked;
    expect(answer.status).toBe(422);
    expect(answer.body).toEqual({ code: 'WF_QUERY_FAILED', detail: "query 'status' failed: not ready yet", failure });
  });

  it('times out with 504 naming the query, the execution and the workflow; the abandoned task takes no late answer', async () => {
    const [[task], answer] = await Promise.all([worker.poll({ wf: 1 }, 10_000), query({ name: 'status', timeout_seconds: 1 })]);
    // The worker leased it but never answered.
    expect(task!.kind).toBe('query');
    expect(answer.status).toBe(504);
    const late = await worker.complete(task!.task_token, { result: 'too late' });
    expect(late.status).toBe(409);
    expect((await worker.poll({ wf: 1 }, 0))).toEqual([]);
  });

  it('answers 504 in the timeout when no worker polls, and leaves no task behind', async () => {
    const answer = await query({ name: 'status', timeout_seconds: 1 });
    expect(answer.status).toBe(504);
    expect(answer.body).toEqual({
      code: 'WF_QUERY_TIMED_OUT',
      detail: "no worker answered query 'status' on execution 'e1' within 1 s; is a worker for workflow 'wf' running?",
    });
    expect(await worker.poll({ wf: 1 }, 0)).toEqual([]);
  });

  it('answers the result when the first read of the answer (still pending) comes back after the answer was seen', async () => {
    const store = h.platform.app.get<Store>(STORE);
    const original = store.getQueryAnswer.bind(store);
    let reads = 0;
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    store.getQueryAnswer = async (...args) => {
      const read = await original(...args);
      if (++reads === 1) await firstHeld;
      return read;
    };
    const task = worker.take({ wf: 1 });
    const asked = query({ name: 'status', timeout_seconds: 5 });
    expect((await worker.complete((await task).task_token, { result: 'answered' })).status).toBe(200);
    // The first read looked before the answer; it comes back only now, after the answer's change was reported.
    releaseFirst();
    const answer = await asked;
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: { result: 'answered' } });
  });

  it('abandons the query when its client goes away', async () => {
    const store = h.platform.app.get<Store>(STORE);
    const abandoned = new Promise<void>((resolve) => {
      const original = store.abandonQueryTask.bind(store);
      store.abandonQueryTask = async (...args) => {
        await original(...args);
        resolve();
      };
    });
    const task = worker.take({ wf: 1 });
    const controller = new AbortController();
    const asked = query({ name: 'status', timeout_seconds: 30 }, undefined, controller.signal).catch((error: unknown) => error);
    const leased = await task;
    await until(() => h.platform.app.get(ExecutionWaiters).waitingCount() === 1, 'the query waits for its answer');
    controller.abort();
    await asked;
    await abandoned;
    expect((await worker.complete(leased.task_token, { result: 'nobody listens' })).status).toBe(409);
  });

  it('refuses unknown queries (404), invalid input (422 naming the field), missing or foreign executions (404), queueing nothing', async () => {
    const unknown = await query({ name: 'nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('WF_QUERY_NOT_FOUND');
    expect(unknown.body.detail).toContain("'nope'");
    expect(unknown.body.detail).toContain("'wf'");
    expect((await query({ name: 'line', input: 0 })).body).toEqual({ code: 'WF_REQUEST_INVALID', detail: 'input: must be >= 1' });
    expect((await query({ name: 'status', timeout_seconds: 61 })).body).toEqual({ code: 'WF_REQUEST_INVALID', detail: 'timeout_seconds must be from 1 to 60 (got 61)' });
    expect((await h.call('POST', '/v1/workflows/executions/nowhere/queries', { body: { name: 'status' } })).body.code).toBe('WF_EXECUTION_NOT_FOUND');
    expect((await query({ name: 'status' }, KEY_B)).body.code).toBe('WF_EXECUTION_NOT_FOUND');
    expect(await worker.poll({ wf: 1 }, 0)).toEqual([]);
  });

  it('are taken by polls with workflow slots and the workflow name only', async () => {
    const asked = query({ name: 'status', timeout_seconds: 5 });
    await until(() => h.platform.app.get(ExecutionWaiters).waitingCount() === 1, 'the query is queued and waits');
    expect(await worker.poll({ wf: 0, act: 1 }, 0)).toEqual([]);
    const [task] = await worker.poll({ wf: 1 }, 5000);
    expect(task!.kind).toBe('query');
    await worker.complete(task!.task_token, { result: null });
    expect((await asked).body).toEqual({ result: null });
    // The workflow's own tasks keep flowing with queries around.
    await h.call('POST', '/v1/workflows/executions/e1/signals', { body: { name: 'x' } });
    const wt = (await worker.take()) as WorkflowTaskWire;
    expect(wt.kind).toBe('workflow');
    await worker.complete(wt.task_token, { commands: [{ type: CommandType.CompleteWorkflow, result: 1 }] });
  });
});
