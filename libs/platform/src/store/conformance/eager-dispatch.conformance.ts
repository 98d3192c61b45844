import { beforeEach, describe, expect, it } from '@jest/globals';
import { EventType, parseTaskToken, type ActivityTaskWire, type WorkflowTaskWire } from '#workflows/protocol';
import type { Store } from '../store.interface.js';
import { STICKY_TIMEOUT_MS } from '../task-transition.rules.js';
import { T0, callerOf, claimActivityTasks, claimOf, claimWorkflowTask, schedule, session, start, stickyWorkflowTask } from './conformance.fixtures.js';

const E = EventType;

/**
 * Eager dispatch and incremental history (issue 11): a completion leases the tasks it creates to
 * the completing worker in the same transaction, and a run's holder is sent only new events.
 */
export function describeEagerDispatchConformance(current: () => Store): void {
  describe('eager dispatch', () => {
    const s = session('a');
    const other = session('a', { workerId: 'worker-b', workerName: 'host-b' });
    let store: Store;
    beforeEach(async () => {
      store = current();
      // `s` is open already (the task suite's session).
      await store.openWorkerSession(other);
    });

    /** Starts `e1`, leases its workflow task to `s` and completes it scheduling `act` twice, `s` asking for one activity. */
    async function scheduleTwo() {
      await start(store, 'a', 'e1');
      const task = await claimWorkflowTask(store, s, T0 + 1);
      const next = claimOf(s, T0 + 2, { maxWorkflowTasks: 1, maxActivityTasks: 1 });
      return { task, outcome: await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 2), commands: [schedule(1), schedule(2)], next }) };
    }

    it('leases the activities a workflow task schedules to the completing worker, within its slots, and announces only the rest', async () => {
      const { outcome } = await scheduleTwo();
      expect(outcome.leased).toHaveLength(1);
      const leased = outcome.leased![0] as ActivityTaskWire;
      expect(leased).toMatchObject({ kind: 'activity', activity_id: 1, activity_name: 'act', attempt: 1 });
      expect(outcome.tasks).toEqual([{ kind: 'activity', name: 'act', deploymentName: null, visibleAt: T0 + 2 }]);
      expect(outcome.tasks[0]!.taskId).not.toBe(parseTaskToken(leased.task_token)!.taskId);
      const history = (await store.readHistory('a', 'e1', 0, 100))!;
      expect(history.at(-1)).toMatchObject({ event_type: E.ActivityTaskStarted, attributes: { activity_id: 1, worker_name: s.workerName } });
      // The other activity is still anyone's; the leased one is no one else's.
      expect((await claimActivityTasks(store, other, T0 + 3)).map((task) => task.activity_id)).toEqual([2]);
      expect((await store.completeActivityTask({ ...callerOf(s, leased, T0 + 4), result: 1 })).duplicate).toBeUndefined();
    });

    it('gives the next workflow task to its holder with only the events it has not seen; another worker gets the whole history', async () => {
      const { task, outcome } = await scheduleTwo();
      const seen = task.history.at(-1)!.event_id;
      const activity = outcome.leased![0]!;
      const completion = await store.completeActivityTask({ ...callerOf(s, activity, T0 + 3), result: 1, next: claimOf(s, T0 + 3, { maxActivityTasks: 0 }) });
      expect(completion.tasks).toEqual([]);
      const held = completion.leased![0] as WorkflowTaskWire;
      expect(held).toMatchObject({ kind: 'workflow', execution_id: 'e1', history_after_event_id: seen });
      const history = (await store.readHistory('a', 'e1', 0, 100))!;
      expect(held.history).toEqual(history.filter((event) => event.event_id > seen));
      expect(held.history[0]).toMatchObject({ event_type: E.WorkflowTaskCompleted, attributes: { last_seen_event_id: seen } });
      expect(held.history_length).toBe(history.length);

      // Its holder fails it: the next attempt goes to any worker, with the whole history.
      await store.failWorkflowTask({ ...callerOf(s, held, T0 + 4), failure: { type: 'Error', message: 'lost' }, retryDelayMs: 0 });
      const whole = await claimWorkflowTask(store, other, T0 + 5);
      expect(whole.history_after_event_id).toBeUndefined();
      expect(whole.history.map((event) => event.event_id)).toEqual((await store.readHistory('a', 'e1', 0, 100))!.map((event) => event.event_id));
    });

    it('leaves a sticky workflow task to its holder when another worker completes the activity, and sends that worker the whole history later', async () => {
      await start(store, 'a', 'e1');
      const task = await claimWorkflowTask(store, s, T0 + 1);
      await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 2), commands: [schedule(1)] });
      const [activity] = await claimActivityTasks(store, other, T0 + 3);
      const completion = await store.completeActivityTask({ ...callerOf(other, activity!, T0 + 4), result: 1, next: claimOf(other, T0 + 4) });
      expect(completion.leased).toBeUndefined();
      expect(completion.tasks).toEqual([stickyWorkflowTask(s, T0 + 4)]);
      const late = await claimWorkflowTask(store, other, T0 + 4 + STICKY_TIMEOUT_MS);
      expect(late.history_after_event_id).toBeUndefined();
      expect(late.history[0]!.event_type).toBe(E.WorkflowExecutionStarted);
    });

    it('leases nothing the worker did not register, and nothing on a retried completion', async () => {
      await start(store, 'a', 'e1');
      const task = await claimWorkflowTask(store, s, T0 + 1);
      const next = claimOf(s, T0 + 2);
      const caller = { ...callerOf(s, task, T0 + 2), commands: [schedule(1, 'elsewhere')], next };
      const outcome = await store.completeWorkflowTask(caller);
      expect(outcome.leased).toBeUndefined();
      expect(outcome.tasks).toEqual([{ kind: 'activity', name: 'elsewhere', deploymentName: null, visibleAt: T0 + 2 }]);
      const retried = await store.completeWorkflowTask(caller);
      expect(retried).toEqual({ tasks: [], duplicate: true });
    });
  });
}
