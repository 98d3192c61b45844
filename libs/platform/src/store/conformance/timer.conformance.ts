import { describe, expect, it } from '@jest/globals';
import { ErrorCode, EventType, type Command, type HistoryEvent } from '#workflows/protocol';
import type { Store, TransitionOutcome, WorkerSession } from '../store.interface.js';
import {
  T0,
  callerOf,
  cancelTimer,
  claimOf,
  claimWorkflowTask,
  complete,
  eventTypes,
  expectCode,
  runWorkflowTask,
  signal,
  startTimer, stickyWorkflowTask } from './conformance.fixtures.js';

const E = EventType;

/** The events of `e1` in namespace `a` of one type. */
async function eventsOf(store: Store, type: EventType): Promise<HistoryEvent[]> {
  return (await store.readHistory('a', 'e1', 0, 10_000))!.filter((event) => event.event_type === type);
}

/** The durable-timer part of the conformance suite: timers are task rows the timeout sweep fires. */
export function describeTimerConformance(
  current: () => Store,
  s: WorkerSession,
  startAndComplete: (commands: Command[]) => Promise<TransitionOutcome>,
): void {
  describe('durable timers', () => {
    it('record TIMER_STARTED, are never leased, and fire once at their time with a workflow task', async () => {
      const store = current();
      const outcome = await startAndComplete([startTimer(1, 5000)]);
      expect(outcome.tasks).toEqual([{ kind: 'timer', name: 'wf', deploymentName: null, visibleAt: T0 + 5002 }]);
      expect(await eventsOf(store, E.TimerStarted)).toMatchObject([
        { event_id: 3, attributes: { timer_id: 1, duration_ms: 5000, fire_at: new Date(T0 + 5002).toISOString() } },
      ]);
      expect(await store.claimTasks(claimOf(s, T0 + 6000))).toEqual([]);
      expect(await store.expireTimeouts(T0 + 5001, 10)).toEqual({ fired: 0, released: [] });
      expect(await store.expireTimeouts(T0 + 5002, 10)).toEqual({
        fired: 1,
        released: [{ namespace: 'a', tasks: [stickyWorkflowTask(s, T0 + 5002)] }],
      });
      expect(await store.expireTimeouts(T0 + 100_000, 10)).toEqual({ fired: 0, released: [] });
      const task = await claimWorkflowTask(store, s, T0 + 5003);
      expect(task.history.filter((event) => event.event_type === E.TimerFired)).toMatchObject([
        { event_id: 4, attributes: { timer_id: 1, started_event_id: 3 } },
      ]);
    });

    it('fire once at the first sweep when they fell due while nobody swept (platform down)', async () => {
      const store = current();
      await startAndComplete([startTimer(1, 1000), startTimer(2, 2000), startTimer(3, 3000)]);
      const restart = T0 + 24 * 60 * 60 * 1000;
      const first = await store.expireTimeouts(restart, 2);
      expect(first.fired).toBe(2);
      expect(first.released).toEqual([{ namespace: 'a', tasks: [{ kind: 'workflow', name: 'wf', deploymentName: null, visibleAt: restart }] }]);
      expect((await store.expireTimeouts(restart, 2)).fired).toBe(1);
      expect((await store.expireTimeouts(restart + 1, 2)).fired).toBe(0);
      expect((await eventsOf(store, E.TimerFired)).map((event) => (event.attributes as { timer_id: number }).timer_id)).toEqual([1, 2, 3]);
    });

    it('cancelled before they fire record TIMER_CANCELED and never fire', async () => {
      const store = current();
      await startAndComplete([startTimer(1, 1000)]);
      await signal(store, 'a', 'e1', T0 + 10);
      const outcome = await runWorkflowTask(store, s, T0 + 11, [cancelTimer(1)]);
      expect(outcome.tasks).toEqual([]);
      expect(await eventsOf(store, E.TimerCanceled)).toMatchObject([{ attributes: { timer_id: 1, started_event_id: 3 } }]);
      expect((await store.expireTimeouts(T0 + 100_000, 10)).fired).toBe(0);
      expect(await eventsOf(store, E.TimerFired)).toEqual([]);
    });

    it('cancelled after they fired still record TIMER_CANCELED, so that replay matches', async () => {
      const store = current();
      await startAndComplete([startTimer(1, 1000)]);
      await store.expireTimeouts(T0 + 1002, 10);
      await runWorkflowTask(store, s, T0 + 1003, [cancelTimer(1)]);
      expect((await eventTypes(store, 'a', 'e1')).slice(3)).toEqual([E.TimerFired, E.WorkflowTaskCompleted, E.TimerCanceled]);
    });

    it('refuse a reused timer id, a duration that is not a positive integer, and the cancel of a timer never started', async () => {
      const store = current();
      await startAndComplete([startTimer(1, 1000)]);
      await signal(store, 'a', 'e1', T0 + 10);
      const task = await claimWorkflowTask(store, s, T0 + 11);
      const before = await eventTypes(store, 'a', 'e1');
      const invalid: [Command[], RegExp][] = [
        [[startTimer(1, 10)], /commands\[0\] reuses timer_id 1/],
        [[startTimer(2, 10), startTimer(2, 10)], /commands\[1\] reuses timer_id 2/],
        [[startTimer(2, 0)], /commands\[0\] has duration_ms 0/],
        [[startTimer(2, 2.5)], /commands\[0\] has duration_ms 2.5/],
        [[cancelTimer(1), cancelTimer(7)], /commands\[1\] cancels timer_id 7/],
      ];
      for (const [commands, detail] of invalid) {
        await expectCode(store.completeWorkflowTask({ ...callerOf(s, task, T0 + 12), commands }), ErrorCode.RequestInvalid, detail);
      }
      expect(await eventTypes(store, 'a', 'e1')).toEqual(before);
    });

    it('close with their run: a completed run fires none', async () => {
      const store = current();
      await startAndComplete([startTimer(1, 1000)]);
      await signal(store, 'a', 'e1', T0 + 10);
      await runWorkflowTask(store, s, T0 + 11, [complete()]);
      expect((await store.expireTimeouts(T0 + 100_000, 10)).fired).toBe(0);
      expect((await eventTypes(store, 'a', 'e1')).pop()).toBe(E.WorkflowExecutionCompleted);
    });
  });
}
