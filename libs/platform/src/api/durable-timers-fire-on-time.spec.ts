import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { CommandType, EventType, type HistoryEvent, type WorkflowTaskWire } from '#workflows/protocol';
import { EventStreamReader } from '../testing/event-stream.reader.js';
import { KEY_A, PlatformTestHarness } from '../testing/platform-test.harness.js';
import { SimulatedWorker } from '../testing/simulated-worker.js';
import { SweepAlarm } from '../workers/sweep.alarm.js';

/** The periodic sweep runs once a second: a timer fired by it alone could be this late. */
const PROMPT_MS = 300;

describe('durable timers fire on time', () => {
  let h: PlatformTestHarness;
  let worker: SimulatedWorker;
  beforeEach(async () => {
    h = await PlatformTestHarness.start();
    worker = await SimulatedWorker.register(h);
  });
  afterEach(async () => {
    await h.close();
  });

  it('wakes the sweep at the fire time of a timer this node started, and the workflow gets TIMER_FIRED', async () => {
    expect((await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'nap' } })).status).toBe(201);
    const task = await worker.take();
    expect((await worker.complete(task.task_token, { commands: [{ type: CommandType.StartTimer, timer_id: 1, duration_ms: 500 }] })).status).toBe(200);
    const events: HistoryEvent[] = (await h.call('GET', '/v1/workflows/executions/nap/history')).body.events;
    const started = events.find((e) => e.event_type === EventType.TimerStarted) as HistoryEvent<typeof EventType.TimerStarted>;
    const fireAt = Date.parse(started.attributes.fire_at);
    const alarm = h.platform.app.get(SweepAlarm);
    expect(alarm.nextWakeAt()).toBe(fireAt);

    const stream = await EventStreamReader.open(`${h.platform.url}/v1/workflows/executions/nap/stream`, {
      authorization: `Bearer ${KEY_A}`,
      'last-event-id': String(started.event_id),
    });
    const next = worker.poll({ wf: 1 }, 10_000);
    const frame = await stream.nextEvent();
    expect(frame?.event).toBe(EventType.TimerFired);
    const fired = JSON.parse(frame!.data!) as HistoryEvent<typeof EventType.TimerFired>;
    expect(fired.attributes).toEqual({ timer_id: 1, started_event_id: started.event_id });
    const late = Date.parse(fired.event_timestamp) - fireAt;
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(PROMPT_MS);
    const [woken] = (await next) as WorkflowTaskWire[];
    expect(woken!.history.map((e) => e.event_type)).toContain(EventType.TimerFired);
    expect(alarm.nextWakeAt()).toBeNull();
    stream.close();
  });

  it('keeps several wake times in order, once each, and forgets them at shutdown', () => {
    const alarm = h.platform.app.get(SweepAlarm);
    const base = Date.now() + 3_600_000;
    for (const at of [base + 30, base + 10, base + 20, base + 10]) alarm.wakeAt(at);
    expect(alarm.pendingWakes()).toEqual([base + 10, base + 20, base + 30]);
    alarm.stop();
    expect(alarm.nextWakeAt()).toBeNull();
  });
});
