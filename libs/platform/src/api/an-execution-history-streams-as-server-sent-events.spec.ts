import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { CommandType, EventType } from '#workflows/protocol';
import { HistoryStreamService, KEEP_ALIVE_MS } from '../executions/history-stream.service.js';
import { ExecutionWaiters } from '../matching/execution.waiters.js';
import { EventStreamReader, type SseFrame } from '../testing/event-stream.reader.js';
import { KEY_A, KEY_B, PlatformTestHarness, until } from '../testing/platform-test.harness.js';
import { SimulatedWorker } from '../testing/simulated-worker.js';

describe("an execution's history streams as server-sent events", () => {
  let h: PlatformTestHarness;
  let worker: SimulatedWorker;
  let closed = false;
  beforeEach(async () => {
    h = await PlatformTestHarness.start();
    closed = false;
    worker = await SimulatedWorker.register(h);
  });
  afterEach(async () => {
    if (!closed) await h.close();
  });

  const open = (executionId: string, options: { headers?: Record<string, string>; key?: string; query?: string } = {}) =>
    EventStreamReader.open(`${h.platform.url}/v1/workflows/executions/${executionId}/stream${options.query ?? ''}`, {
      authorization: `Bearer ${options.key ?? KEY_A}`,
      ...(options.headers ?? {}),
    });
  const start = async (executionId: string) => expect((await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: executionId } })).status).toBe(201);
  const signal = async (executionId: string, input: unknown) =>
    expect((await h.call('POST', `/v1/workflows/executions/${executionId}/signals`, { body: { name: 'ping', input } })).status).toBe(202);
  const history = async (executionId: string) => (await h.call('GET', `/v1/workflows/executions/${executionId}/history?page_size=1000`)).body.events;
  const closeCompleted = async (executionId: string) => {
    const task = await worker.take();
    expect(task.execution_id).toBe(executionId);
    expect((await worker.complete(task.task_token, { commands: [{ type: CommandType.CompleteWorkflow, result: 'done' }] })).status).toBe(200);
  };
  const ids = (frames: SseFrame[]) => frames.map((frame) => Number(frame.id));

  it('sends the events so far in order, then each new one as it is appended, and ends after the terminal event', async () => {
    await start('e1');
    const reader = await open('e1');
    expect(reader.status).toBe(200);
    expect(reader.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(reader.headers['cache-control']).toBe('no-cache');
    expect(reader.headers['x-accel-buffering']).toBe('no');

    const first = await reader.nextEvent();
    expect(first).toMatchObject({ id: '1', event: EventType.WorkflowExecutionStarted });
    await signal('e1', { n: 1 });
    const live = await reader.nextEvent();
    expect(live).toMatchObject({ id: '2', event: EventType.WorkflowExecutionSignaled });
    expect(JSON.parse(live!.data!).attributes).toEqual({ signal_name: 'ping', input: { n: 1 } });

    await closeCompleted('e1');
    const rest = await reader.rest();
    expect(rest.map((frame) => frame.event)).toEqual([EventType.WorkflowTaskCompleted, EventType.WorkflowExecutionCompleted]);
    expect(reader.ended).toBe(true);
    const sent = [first!, live!, ...rest].map((frame) => JSON.parse(frame.data!));
    expect(sent).toEqual(await history('e1'));
  });

  it('resumes after Last-Event-ID (or ?last_event_id=) with exactly the rest: no gaps, no duplicates', async () => {
    await start('e2');
    for (let n = 0; n < 3; n++) await signal('e2', n);
    await closeCompleted('e2');
    const all = (await history('e2')).map((event: { event_id: number }) => event.event_id);
    expect(all).toEqual([1, 2, 3, 4, 5, 6]);
    for (let after = 0; after <= all.length; after++) {
      const reader = await open('e2', { headers: { 'last-event-id': String(after) } });
      expect(ids(await reader.rest())).toEqual(all.slice(after));
    }
    expect(ids(await (await open('e2', { query: '?last_event_id=4' })).rest())).toEqual([5, 6]);
    // The header is what a reconnecting EventSource sends: it wins over the query.
    expect(ids(await (await open('e2', { query: '?last_event_id=1', headers: { 'last-event-id': '5' } })).rest())).toEqual([6]);
  });

  it('gives concurrent subscribers the same complete sequence while events are appended concurrently', async () => {
    await start('e3');
    const readers = await Promise.all([open('e3'), open('e3', { headers: { 'last-event-id': '0' } })]);
    await Promise.all(Array.from({ length: 20 }, (_, n) => signal('e3', n)));
    await closeCompleted('e3');
    const expected = (await history('e3')).map((event: { event_id: number }) => event.event_id);
    expect(expected).toHaveLength(23);
    for (const reader of readers) expect(ids(await reader.rest())).toEqual(expected);
  });

  it('answers 404 for a missing or foreign execution and 422 for a bad Last-Event-ID, as JSON, before any stream', async () => {
    await start('e4');
    for (const reader of [await open('nowhere'), await open('e4', { key: KEY_B })]) {
      expect(reader.status).toBe(404);
      expect(reader.errorBody).toEqual({ code: 'WF_EXECUTION_NOT_FOUND', detail: expect.any(String) });
    }
    const bad = await open('e4', { headers: { 'last-event-id': 'abc' } });
    expect(bad.status).toBe(422);
    expect(bad.errorBody.code).toBe('WF_REQUEST_INVALID');
    expect(bad.errorBody.detail).toMatch(/^Last-Event-ID must be an event id/);
    expect((await open('e4', { query: '?last_event_id=-1' })).errorBody.detail).toMatch(/^last_event_id must be an event id/);
    expect((await open('e4', { query: '?from=1' })).errorBody.detail).toBe('from is not a known query parameter');
  });

  it('sends a keep-alive comment when nothing happened for a while, then carries on', async () => {
    await start('e7');
    const streams = h.platform.app.get(HistoryStreamService);
    const controller = new AbortController();
    const items = streams.events('alpha', 'e7', 1, controller.signal, 20);
    expect((await items.next()).value).toBeNull();
    await signal('e7', 'after the keep-alive');
    const next = await items.next();
    expect(next.value).toMatchObject({ event_id: 2, event_type: EventType.WorkflowExecutionSignaled });
    controller.abort();
    expect((await items.next()).done).toBe(true);
    expect(KEEP_ALIVE_MS).toBe(15_000);
  });

  it('stops waiting when the client disconnects', async () => {
    await start('e5');
    const reader = await open('e5');
    await reader.nextEvent();
    const waiters = h.platform.app.get(ExecutionWaiters);
    await until(() => waiters.waitingCount() === 1, 'the stream waits for new events');
    reader.close();
    await until(() => waiters.waitingCount() === 0, 'the stream stopped waiting');
  });

  it('ends open streams when the platform stops, so that it stops at once', async () => {
    await start('e6');
    const reader = await open('e6');
    await reader.nextEvent();
    closed = true;
    await h.close();
    expect(await reader.next()).toBeNull();
  });
});
