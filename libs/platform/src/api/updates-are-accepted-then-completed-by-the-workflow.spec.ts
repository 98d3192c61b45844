import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { CommandType, EventType, type WorkflowTaskWire } from '#workflows/protocol';
import { ExecutionWaiters } from '../matching/execution.waiters.js';
import { STORE } from '../platform.constants.js';
import type { Store } from '../store/store.interface.js';
import { KEY_B, PlatformTestHarness, until } from '../testing/platform-test.harness.js';
import { SimulatedWorker } from '../testing/simulated-worker.js';

const WORKFLOW = { name: 'wf', updates: [{ name: 'set_note', input_schema: { type: 'string', minLength: 1 } }] };

describe('updates are accepted, then completed by the workflow', () => {
  let h: PlatformTestHarness;
  let worker: SimulatedWorker;
  beforeEach(async () => {
    h = await PlatformTestHarness.start();
    worker = await SimulatedWorker.register(h, { workflows: [WORKFLOW] });
    expect((await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'e1' } })).status).toBe(201);
    const task = await worker.take();
    expect((await worker.complete(task.task_token, { commands: [] })).status).toBe(200);
  });
  afterEach(async () => {
    await h.close();
  });

  const update = (body: unknown, key?: string) => h.call('POST', '/v1/workflows/executions/e1/updates', { body, ...(key ? { key } : {}) });
  const types = async () => (await h.call('GET', '/v1/workflows/executions/e1/history')).body.events.map((e: { event_type: string }) => e.event_type);
  const completeUpdate = (updateId: string, outcome: { result?: unknown; failure?: unknown }) => ({
    type: CommandType.CompleteUpdate,
    update_id: updateId,
    result: outcome.result ?? null,
    failure: outcome.failure ?? null,
  });

  it("holds the request until the workflow's COMPLETE_UPDATE, answers its result, and answers a retry with the same id alike", async () => {
    const asked = update({ name: 'set_note', input: 'fragile', update_id: 'u1', timeout_seconds: 30 });
    const task = (await worker.take()) as WorkflowTaskWire;
    const accepted = task.history.find((e) => e.event_type === EventType.WorkflowExecutionUpdateAccepted);
    expect(accepted?.attributes).toEqual({ update_id: 'u1', update_name: 'set_note', input: 'fragile' });
    expect((await worker.complete(task.task_token, { commands: [completeUpdate('u1', { result: { saved: true } })] })).status).toBe(200);
    const answer = await asked;
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 200,
      body: { update_id: 'u1', stage: 'COMPLETED', result: { saved: true }, failure: null },
    });
    const again = await update({ name: 'set_note', input: 'fragile', update_id: 'u1' });
    expect(again.body).toEqual(answer.body);
    expect((await types()).filter((t: string) => t === EventType.WorkflowExecutionUpdateAccepted)).toHaveLength(1);
  });

  it("answers a handler's failure as a completed update with the failure", async () => {
    const asked = update({ name: 'set_note', input: 'x', update_id: 'u2' });
    const task = await worker.take();
    const failure = { type: 'ValidationError', message: 'notes are frozen' };
    await worker.complete(task.task_token, { commands: [completeUpdate('u2', { failure })] });
    expect((await asked).body).toEqual({ update_id: 'u2', stage: 'COMPLETED', result: null, failure: expect.objectContaining(failure) });
  });

  it('answers ACCEPTED with a generated update_id when the wait ends first; the same id later gets the outcome', async () => {
    const first = await update({ name: 'set_note', input: 'x', timeout_seconds: 0 });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ update_id: expect.stringMatching(/^[0-9a-f-]{36}$/), stage: 'ACCEPTED', result: null, failure: null });
    const task = await worker.take();
    await worker.complete(task.task_token, { commands: [completeUpdate(first.body.update_id, { result: 'ok' })] });
    const later = await update({ name: 'set_note', input: 'x', update_id: first.body.update_id, timeout_seconds: 0 });
    expect(later.body).toEqual({ update_id: first.body.update_id, stage: 'COMPLETED', result: 'ok', failure: null });
  });

  it('answers COMPLETED when the first read of the outcome (still accepted) comes back after the completion was seen', async () => {
    const store = h.platform.app.get<Store>(STORE);
    const original = store.getUpdateOutcome.bind(store);
    let reads = 0;
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    store.getUpdateOutcome = async (...args) => {
      const read = await original(...args);
      if (++reads === 1) await firstHeld;
      return read;
    };
    const asked = update({ name: 'set_note', input: 'x', update_id: 'u4', timeout_seconds: 5 });
    const task = await worker.take();
    expect((await worker.complete(task.task_token, { commands: [completeUpdate('u4', { result: 'saved' })] })).status).toBe(200);
    // The first read looked before the completion; it comes back only now, after the completion's change was reported.
    releaseFirst();
    expect((await asked).body).toEqual({ update_id: 'u4', stage: 'COMPLETED', result: 'saved', failure: null });
  });

  it('answers 409 WF_EXECUTION_CLOSED naming the update when the execution closes before it completes', async () => {
    const asked = update({ name: 'set_note', input: 'x', update_id: 'u3', timeout_seconds: 30 });
    await until(() => h.platform.app.get(ExecutionWaiters).waitingCount() === 1, 'the update waits for its outcome');
    expect((await h.call('POST', '/v1/workflows/executions/e1/terminate')).status).toBe(202);
    const answer = await asked;
    expect(answer.status).toBe(409);
    expect(answer.body.code).toBe('WF_EXECUTION_CLOSED');
    expect(answer.body.detail).toContain("update 'set_note'");
    expect(answer.body.detail).toContain('u3');
    expect(answer.body.detail).toContain('TERMINATED');
  });

  it('refuses a new update of a closed execution with 409 and appends nothing after the terminal event (R37)', async () => {
    await h.call('POST', '/v1/workflows/executions/e1/terminate');
    const before = await types();
    for (const body of [{ name: 'set_note', input: 'x' }, { name: 'set_note', input: 'x', update_id: 'never-accepted' }]) {
      const answer = await update(body);
      expect(answer.status).toBe(409);
      expect(answer.body.code).toBe('WF_EXECUTION_CLOSED');
    }
    expect(await types()).toEqual(before);
  });

  it('refuses unknown updates (404), invalid input (422 naming the field) and foreign executions (404), recording nothing', async () => {
    const before = await types();
    const unknown = await update({ name: 'delete_everything' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('WF_UPDATE_NOT_FOUND');
    expect(unknown.body.detail).toContain("'delete_everything'");
    expect((await update({ name: 'set_note', input: '' })).body).toEqual({ code: 'WF_REQUEST_INVALID', detail: 'input: must NOT have fewer than 1 characters' });
    expect((await update({ name: 'set_note', input: 'x', update_id: '' })).body).toEqual({ code: 'WF_REQUEST_INVALID', detail: 'update_id must not be empty' });
    expect((await update({ name: 'set_note', input: 'x' }, KEY_B)).body.code).toBe('WF_EXECUTION_NOT_FOUND');
    expect((await h.call('POST', '/v1/workflows/executions/nowhere/updates', { body: { name: 'set_note' } })).body.code).toBe('WF_EXECUTION_NOT_FOUND');
    expect(await types()).toEqual(before);
  });
});
