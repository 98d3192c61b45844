import { expect } from '@jest/globals';
import {
  CommandType,
  parseTaskToken,
  type Command,
  type ErrorCode,
  type EventType,
  type Failure,
  type RetryPolicyWire,
  type TaskWire,
  type WorkflowTaskWire,
  type ActivityTaskWire,
} from '#workflows/protocol';
import { PlatformError } from '../../errors/platform.error.js';
import type { ClaimRequest, CreatedTask, Store, TaskCaller, WorkerSession } from '../store.interface.js';
import { STICKY_TIMEOUT_MS } from '../task-transition.rules.js';

/** Creates a fresh, initialised store for one test; the suite closes it. */
export type StoreFactory = () => Promise<Store>;

/** The instant every conformance test starts at; tests move time by adding to it. */
export const T0 = 1_700_000_000_000;

/** A retry policy for the tests: 1 s, doubling, capped at 5 s, 3 attempts. */
export const RETRY: RetryPolicyWire = {
  initial_interval_ms: 1000,
  backoff_coefficient: 2,
  maximum_interval_ms: 5000,
  maximum_attempts: 3,
  non_retryable_error_types: ['FatalError'],
};

/** A worker session that runs `wf` and `act` in deployment `blue`. */
export function session(namespace: string, overrides: Partial<WorkerSession> = {}): WorkerSession {
  return {
    workerId: `worker-${namespace}`,
    namespace,
    workerName: `host-${namespace}`,
    deploymentName: 'blue',
    workflows: ['wf'],
    activities: ['act'],
    openedAt: T0,
    expiresAt: T0 + 10_000,
    ...overrides,
  };
}

/** A claim of the session's names, up to 10 tasks of each kind, at `now`. */
export function claimOf(s: WorkerSession, now: number, overrides: Partial<ClaimRequest> = {}): ClaimRequest {
  return {
    namespace: s.namespace,
    workerId: s.workerId,
    workerName: s.workerName,
    deploymentName: s.deploymentName,
    workflowNames: s.workflows,
    activityNames: s.activities,
    maxWorkflowTasks: 10,
    maxActivityTasks: 10,
    now,
    leaseExpiresAt: now + 10_000,
    workflowTaskTimeoutMs: 10_000,
    ...overrides,
  };
}

/** The caller of an operation on a leased task. */
export function callerOf(s: WorkerSession, task: TaskWire | string, now: number): TaskCaller {
  const token = parseTaskToken(typeof task === 'string' ? task : task.task_token);
  if (!token) throw new Error(`not a token: ${String(task)}`);
  return { namespace: s.namespace, workerId: s.workerId, workerName: s.workerName, token, now };
}

/** An activity's timeouts besides start-to-close (30 s in {@link schedule}); 0 means none. */
export interface ActivityTimeouts {
  start_to_close_timeout_ms?: number;
  schedule_to_start_timeout_ms?: number;
  schedule_to_close_timeout_ms?: number;
  heartbeat_timeout_ms?: number;
}

/** A SCHEDULE_ACTIVITY command. */
export function schedule(activityId: number, activityName = 'act', retry: RetryPolicyWire = RETRY, timeouts: ActivityTimeouts = {}): Command {
  return {
    type: CommandType.ScheduleActivity,
    activity_id: activityId,
    activity_name: activityName,
    input: [activityId],
    start_to_close_timeout_ms: 30_000,
    schedule_to_start_timeout_ms: 0,
    schedule_to_close_timeout_ms: 0,
    heartbeat_timeout_ms: 0,
    retry,
    ...timeouts,
  };
}

/** A COMPLETE_WORKFLOW command. */
export function complete(result: unknown = 'done'): Command {
  return { type: CommandType.CompleteWorkflow, result: result as never };
}

/** A START_TIMER command. */
export function startTimer(timerId: number, durationMs: number): Command {
  return { type: CommandType.StartTimer, timer_id: timerId, duration_ms: durationMs };
}

/** A CANCEL_TIMER command. */
export function cancelTimer(timerId: number): Command {
  return { type: CommandType.CancelTimer, timer_id: timerId };
}

/** A REQUEST_CANCEL_ACTIVITY command. */
export function cancelActivity(activityId: number): Command {
  return { type: CommandType.RequestCancelActivity, activity_id: activityId };
}

/** A COMPLETE_UPDATE command with a result. */
export function completeUpdate(updateId: string, result: unknown = null): Command {
  return { type: CommandType.CompleteUpdate, update_id: updateId, result: result as never, failure: null };
}

/** A failure of type `type`. */
export function failure(type = 'Error', nonRetryable = false): Failure {
  return { type, message: `${type} happened`, ...(nonRetryable ? { non_retryable: true } : {}) };
}

/** Starts execution `id` of workflow `wf` in the namespace. */
export async function start(store: Store, namespace: string, id: string, now = T0, deploymentName: string | null = null) {
  return store.startExecution({
    namespace,
    executionId: id,
    runId: `run-${namespace}-${id}`,
    workflowName: 'wf',
    deploymentName,
    input: { id },
    now,
  });
}

/** The one workflow task the claim leases. */
export async function claimWorkflowTask(store: Store, s: WorkerSession, now: number): Promise<WorkflowTaskWire> {
  const tasks = await store.claimTasks(claimOf(s, now, { maxActivityTasks: 0, maxWorkflowTasks: 1 }));
  expect(tasks).toHaveLength(1);
  return tasks[0] as WorkflowTaskWire;
}

/** The activity tasks the claim leases. */
export async function claimActivityTasks(store: Store, s: WorkerSession, now: number, max = 10): Promise<ActivityTaskWire[]> {
  return (await store.claimTasks(claimOf(s, now, { maxWorkflowTasks: 0, maxActivityTasks: max }))) as ActivityTaskWire[];
}

/** Leases the session's one queued workflow task at `now` and completes it with `commands`. */
export async function runWorkflowTask(store: Store, s: WorkerSession, now: number, commands: Command[]) {
  const task = await claimWorkflowTask(store, s, now);
  return store.completeWorkflowTask({ ...callerOf(s, task, now), commands });
}

/** Signals execution `id` with `poke`: the quickest way to give a running execution a new workflow task. */
export function signal(store: Store, namespace: string, id: string, now: number, name = 'poke') {
  return store.signalExecution({ namespace, executionId: id, signalName: name, input: { at: now }, now });
}

/** The event types of an execution's history, in order. */
export async function eventTypes(store: Store, namespace: string, executionId: string): Promise<EventType[]> {
  const events = await store.readHistory(namespace, executionId, 0, 10_000);
  return (events ?? []).map((event) => event.event_type);
}

/** Asserts that `promise` rejects with a `PlatformError` of `code`. */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode, detail?: RegExp): Promise<void> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PlatformError);
  expect((error as PlatformError).code).toBe(code);
  if (detail) expect((error as PlatformError).detail).toMatch(detail);
}

/** The workflow task a transition queues for a run `s` answered last: offered to `s` first (sticky execution). */
export function stickyWorkflowTask(s: WorkerSession, visibleAt: number, name = 'wf'): CreatedTask {
  return { kind: 'workflow', name, deploymentName: null, visibleAt, sticky: { workerId: s.workerId, until: visibleAt + STICKY_TIMEOUT_MS } };
}
