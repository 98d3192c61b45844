import { describe, expect, it } from '@jest/globals';
import { ErrorCode, EventType, type Command, type HistoryEvent, type RetryPolicyWire } from '#workflows/protocol';
import type { Store, TransitionOutcome, WorkerSession } from '../store.interface.js';
import {
  RETRY,
  T0,
  callerOf,
  claimActivityTasks,
  claimOf,
  eventTypes,
  expectCode,
  failure,
  schedule,
  start,
  type ActivityTimeouts, stickyWorkflowTask } from './conformance.fixtures.js';

const E = EventType;

/** The last event of the execution `e1` in namespace `a`. */
async function lastEvent(store: Store): Promise<HistoryEvent> {
  const events = (await store.readHistory('a', 'e1', 0, 10_000))!;
  return events[events.length - 1]!;
}

/** The timeout part of the conformance suite: every deadline, fired by `expireTimeouts` at injected instants. */
export function describeTimeoutConformance(
  current: () => Store,
  s: WorkerSession,
  startAndComplete: (commands: Command[]) => Promise<TransitionOutcome>,
): void {
  /** Schedules activity 1 at T0+2 with these timeouts. */
  const scheduleWith = (timeouts: ActivityTimeouts, retry: RetryPolicyWire = RETRY) => startAndComplete([schedule(1, 'act', retry, timeouts)]);

  describe('activity start-to-close timeout', () => {
    it('fails the attempt when the lease is older than the timeout, retries by the policy, and stales the token', async () => {
      const store = current();
      await scheduleWith({ start_to_close_timeout_ms: 1000 });
      const [first] = await claimActivityTasks(store, s, T0 + 3);
      expect(await store.expireTimeouts(T0 + 1002, 10)).toEqual({ fired: 0, released: [] });
      expect(await store.expireTimeouts(T0 + 1003, 10)).toEqual({
        fired: 1,
        released: [{ namespace: 'a', tasks: [{ kind: 'activity', name: 'act', deploymentName: null, visibleAt: T0 + 2003 }] }],
      });
      expect(await lastEvent(store)).toMatchObject({
        event_type: E.ActivityTaskRetrying,
        attributes: {
          attempt: 1,
          next_attempt_delay_ms: 1000,
          failure: {
            type: 'ActivityTimeout',
            message: 'activity act attempt 1 timed out (START_TO_CLOSE after 1000 ms)',
            non_retryable: false,
            details: { timeout_type: 'START_TO_CLOSE' },
          },
        },
      });
      await expectCode(store.completeActivityTask({ ...callerOf(s, first!, T0 + 1004), result: 'late' }), ErrorCode.TaskTokenStale);
      expect(await store.expireTimeouts(T0 + 1500, 10)).toEqual({ fired: 0, released: [] });
      expect(await claimActivityTasks(store, s, T0 + 2003)).toMatchObject([{ attempt: 2 }]);
    });

    it('fails the activity and queues the workflow task when no attempt is left', async () => {
      const store = current();
      await scheduleWith({ start_to_close_timeout_ms: 1000 }, { ...RETRY, maximum_attempts: 1 });
      await claimActivityTasks(store, s, T0 + 3);
      const sweep = await store.expireTimeouts(T0 + 5000, 10);
      expect(sweep.released[0]!.tasks).toEqual([stickyWorkflowTask(s, T0 + 5000)]);
      expect(await lastEvent(store)).toMatchObject({ event_type: E.ActivityTaskFailed, attributes: { attempt: 1, failure: { details: { timeout_type: 'START_TO_CLOSE' } } } });
      expect((await store.expireTimeouts(T0 + 100_000, 10)).fired).toBe(0);
    });
  });

  describe('activity heartbeat timeout', () => {
    it('times out a silent attempt, pushed back by each heartbeat, and hands its last details to the next attempt', async () => {
      const store = current();
      await scheduleWith({ heartbeat_timeout_ms: 500 });
      const [first] = await claimActivityTasks(store, s, T0 + 3);
      expect(first).toMatchObject({ heartbeat_timeout_ms: 500, heartbeat_details: null });
      expect(await store.heartbeatActivityTask({ ...callerOf(s, first!, T0 + 400), details: { step: 1 } })).toEqual({ cancelRequested: false });
      expect((await store.expireTimeouts(T0 + 503, 10)).fired).toBe(0);
      await store.heartbeatActivityTask({ ...callerOf(s, first!, T0 + 800), details: { step: 2 } });
      await store.heartbeatActivityTask(callerOf(s, first!, T0 + 900));
      expect((await store.expireTimeouts(T0 + 1399, 10)).fired).toBe(0);
      expect((await store.expireTimeouts(T0 + 1400, 10)).fired).toBe(1);
      expect(await lastEvent(store)).toMatchObject({
        event_type: E.ActivityTaskRetrying,
        attributes: { failure: { type: 'ActivityTimeout', message: 'activity act attempt 1 timed out (HEARTBEAT after 500 ms)', details: { timeout_type: 'HEARTBEAT' } } },
      });
      await expectCode(store.heartbeatActivityTask({ ...callerOf(s, first!, T0 + 1401), details: 'zombie' }), ErrorCode.TaskTokenStale);
      const [second] = await claimActivityTasks(store, s, T0 + 2400);
      expect(second).toMatchObject({ attempt: 2, heartbeat_details: { step: 2 } });
    });

    it('refuses a heartbeat after the deadline passed, even before the sweep', async () => {
      const store = current();
      await scheduleWith({ heartbeat_timeout_ms: 500 });
      const [task] = await claimActivityTasks(store, s, T0 + 3);
      await expectCode(store.heartbeatActivityTask(callerOf(s, task!, T0 + 503)), ErrorCode.TaskTokenStale, /timed out/);
      expect((await store.expireTimeouts(T0 + 503, 10)).fired).toBe(1);
    });
  });

  describe('activity schedule-to-start timeout', () => {
    it('fails the activity, non-retryable, when no worker leased it in time; the late task is not leased', async () => {
      const store = current();
      await scheduleWith({ schedule_to_start_timeout_ms: 500 });
      expect(await claimActivityTasks(store, s, T0 + 502)).toEqual([]);
      const sweep = await store.expireTimeouts(T0 + 502, 10);
      expect(sweep.released).toEqual([{ namespace: 'a', tasks: [stickyWorkflowTask(s, T0 + 502)] }]);
      expect(await lastEvent(store)).toMatchObject({
        event_type: E.ActivityTaskFailed,
        attributes: {
          attempt: 1,
          failure: { type: 'ActivityTimeout', non_retryable: true, details: { timeout_type: 'SCHEDULE_TO_START' }, message: 'activity act attempt 1 timed out (SCHEDULE_TO_START after 500 ms)' },
        },
      });
      expect(await claimActivityTasks(store, s, T0 + 600)).toEqual([]);
    });

    it('does not fire once the task was leased', async () => {
      const store = current();
      await scheduleWith({ schedule_to_start_timeout_ms: 500 });
      await claimActivityTasks(store, s, T0 + 501);
      expect((await store.expireTimeouts(T0 + 10_000, 10)).fired).toBe(0);
    });
  });

  describe('activity schedule-to-close timeout', () => {
    it('fails the activity across attempts, even while an attempt runs', async () => {
      const store = current();
      await scheduleWith({ schedule_to_close_timeout_ms: 2500 });
      const [first] = await claimActivityTasks(store, s, T0 + 3);
      await store.failActivityTask({ ...callerOf(s, first!, T0 + 10), failure: failure() });
      const [second] = await claimActivityTasks(store, s, T0 + 1010);
      expect((await store.expireTimeouts(T0 + 2501, 10)).fired).toBe(0);
      expect((await store.expireTimeouts(T0 + 2502, 10)).fired).toBe(1);
      expect(await lastEvent(store)).toMatchObject({
        event_type: E.ActivityTaskFailed,
        attributes: { attempt: 2, failure: { non_retryable: true, details: { timeout_type: 'SCHEDULE_TO_CLOSE' }, message: 'activity act attempt 2 timed out (SCHEDULE_TO_CLOSE after 2500 ms)' } },
      });
      await expectCode(store.completeActivityTask({ ...callerOf(s, second!, T0 + 2503), result: 'late' }), ErrorCode.TaskTokenStale);
    });

    it('schedules no retry that would start past it: the attempt failure ends the activity', async () => {
      const store = current();
      await scheduleWith({ schedule_to_close_timeout_ms: 2500 });
      const [first] = await claimActivityTasks(store, s, T0 + 3);
      await store.failActivityTask({ ...callerOf(s, first!, T0 + 10), failure: failure() });
      const [second] = await claimActivityTasks(store, s, T0 + 1010);
      const outcome = await store.failActivityTask({ ...callerOf(s, second!, T0 + 1100), failure: failure('Flaky') });
      expect(outcome.tasks).toEqual([stickyWorkflowTask(s, T0 + 1100)]);
      expect(await lastEvent(store)).toMatchObject({ event_type: E.ActivityTaskFailed, attributes: { attempt: 2, failure: failure('Flaky') } });
    });
  });

  describe('workflow task timeout', () => {
    it('fails a leased workflow task not completed in time and offers the next attempt at once, recording a repeat once', async () => {
      const store = current();
      await start(store, 'a', 'e1');
      const claim = (now: number) => store.claimTasks(claimOf(s, now, { maxActivityTasks: 0, workflowTaskTimeoutMs: 1000 }));
      const [first] = await claim(T0 + 1);
      expect((await store.expireTimeouts(T0 + 1000, 10)).fired).toBe(0);
      expect(await store.expireTimeouts(T0 + 1001, 10)).toEqual({
        fired: 1,
        released: [{ namespace: 'a', tasks: [{ kind: 'workflow', name: 'wf', deploymentName: null, visibleAt: T0 + 1001 }] }],
      });
      expect(await lastEvent(store)).toMatchObject({
        event_type: E.WorkflowTaskFailed,
        attributes: { attempt: 1, worker_name: s.workerName, failure: { type: 'WorkflowTaskTimeout', message: 'workflow task not completed within 1000 ms' } },
      });
      await expectCode(store.completeWorkflowTask({ ...callerOf(s, first!, T0 + 1002), commands: [] }), ErrorCode.TaskTokenStale);
      expect(await claim(T0 + 1001)).toMatchObject([{ attempt: 2 }]);
      await store.expireTimeouts(T0 + 2001, 10);
      expect(await claim(T0 + 2001)).toMatchObject([{ attempt: 3 }]);
      expect(await eventTypes(store, 'a', 'e1')).toEqual([E.WorkflowExecutionStarted, E.WorkflowTaskFailed]);
    });

    it('never times out when the claim sets no timeout', async () => {
      const store = current();
      await start(store, 'a', 'e1');
      await store.claimTasks(claimOf(s, T0 + 1, { workflowTaskTimeoutMs: 0 }));
      expect((await store.expireTimeouts(T0 + 1_000_000, 10)).fired).toBe(0);
    });
  });

  describe('the sweep', () => {
    it('takes at most `limit` due deadlines per call, oldest first, each once', async () => {
      const store = current();
      await startAndComplete([1, 2, 3].map((id) => schedule(id, 'act', RETRY, { schedule_to_start_timeout_ms: 100 * id })));
      const first = await store.expireTimeouts(T0 + 10_000, 2);
      expect(first.fired).toBe(2);
      expect((await store.expireTimeouts(T0 + 10_000, 2)).fired).toBe(1);
      expect((await store.expireTimeouts(T0 + 10_000, 2)).fired).toBe(0);
      const failed = (await store.readHistory('a', 'e1', 0, 100))!.filter((e) => e.event_type === E.ActivityTaskFailed);
      expect(failed.map((e) => (e.attributes as { activity_id: number }).activity_id)).toEqual([1, 2, 3]);
    });
  });
}
