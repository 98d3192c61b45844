import { describe, expect, it } from '@jest/globals';
import { CommandType, ErrorCode, EventType, ExecutionStatus, type Command, type RetryPolicyWire } from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';
import { planWorkflowTaskCompletion, type RunCommandState } from './workflow-task.planner.js';

const retry: RetryPolicyWire = { initial_interval_ms: 1, backoff_coefficient: 2, maximum_interval_ms: 10, maximum_attempts: 3, non_retryable_error_types: [] };
const schedule = (id: number): Command => ({
  type: CommandType.ScheduleActivity,
  activity_id: id,
  activity_name: `act${id}`,
  input: [id],
  start_to_close_timeout_ms: 1000,
  schedule_to_start_timeout_ms: 0,
  schedule_to_close_timeout_ms: 5000,
  heartbeat_timeout_ms: 0,
  retry,
});
const NOW = 1_700_000_000_000;
const noState: RunCommandState = { activities: new Map(), timers: new Map(), updates: new Map() };
/** The run's last event is 7: planned events are numbered from 8. */
const base = { lastSeenEventId: 7, workerName: 'w', attempt: 2, firstEventId: 8, now: NOW, run: noState };
/** A run that scheduled activity 3 (event 4), started timers 1 (event 5, cancelled since) and 2 (event 6), accepted update u1 (event 7) and completed u0. */
const state: RunCommandState = {
  activities: new Map([[3, 4]]),
  timers: new Map([
    [1, { startedEventId: 5, canceled: true }],
    [2, { startedEventId: 6, canceled: false }],
  ]),
  updates: new Map([
    ['u1', { acceptedEventId: 7, completed: false }],
    ['u0', { acceptedEventId: 2, completed: true }],
  ]),
  children: new Map([[1, { initiatedEventId: 3, executionId: 'child-1' }]]),
};
const startChild = (childId: number, fields: Record<string, unknown> = {}): Command =>
  ({ type: CommandType.StartChildWorkflow, child_id: childId, workflow_name: 'Child', execution_id: `child-${childId}`, input: { n: childId }, ...fields }) as Command;

function rejection(commands: Command[], run: RunCommandState = noState): PlatformError {
  try {
    planWorkflowTaskCompletion({ ...base, commands, run });
  } catch (error) {
    return error as PlatformError;
  }
  throw new Error('expected a rejection');
}

describe('planWorkflowTaskCompletion', () => {
  it('records a marker (side effect, patch) as MARKER_RECORDED with its details, in command order', () => {
    const plan = planWorkflowTaskCompletion({
      ...base,
      commands: [
        { type: CommandType.RecordMarker, marker_name: 'side_effect', details: { seq: 1, value: 'x' } },
        schedule(1),
        { type: CommandType.RecordMarker, marker_name: 'patch', details: { patch_id: 'p', deprecated: false } },
      ],
    });
    expect(plan.events.map((e) => [e.event_type, e.attributes])).toEqual([
      [EventType.WorkflowTaskCompleted, expect.anything()],
      [EventType.MarkerRecorded, { marker_name: 'side_effect', details: { seq: 1, value: 'x' } }],
      [EventType.ActivityTaskScheduled, expect.anything()],
      [EventType.MarkerRecorded, { marker_name: 'patch', details: { patch_id: 'p', deprecated: false } }],
    ]);
  });

  it('starts with WORKFLOW_TASK_COMPLETED and adds one event per command, in order', () => {
    const plan = planWorkflowTaskCompletion({ ...base, commands: [schedule(1), schedule(2), { type: CommandType.CompleteWorkflow, result: 42 }] });
    expect(plan.events.map((e) => e.event_type)).toEqual([
      EventType.WorkflowTaskCompleted,
      EventType.ActivityTaskScheduled,
      EventType.ActivityTaskScheduled,
      EventType.WorkflowExecutionCompleted,
    ]);
    expect(plan.events[0]!.attributes).toEqual({ last_seen_event_id: 7, worker_name: 'w', attempt: 2 });
    expect(plan.events[2]!.attributes).toEqual({ activity_id: 2, activity_name: 'act2', input: [2], start_to_close_timeout_ms: 1000,
      schedule_to_start_timeout_ms: 0,
      schedule_to_close_timeout_ms: 5000,
      heartbeat_timeout_ms: 0,
      retry,
    });
    expect(plan.activities.map((a) => [a.eventIndex, a.command.activity_id])).toEqual([[1, 1], [2, 2]]);
    expect(plan.close).toEqual({ status: ExecutionStatus.Completed, result: 42, failure: null });
  });

  it('plans a failed close from FAIL_WORKFLOW', () => {
    const failure = { type: 'E', message: 'm' };
    const plan = planWorkflowTaskCompletion({ ...base, commands: [{ type: CommandType.FailWorkflow, failure }] });
    expect(plan.events[1]).toEqual({ event_type: EventType.WorkflowExecutionFailed, attributes: { failure } });
    expect(plan.close).toEqual({ status: ExecutionStatus.Failed, result: null, failure });
  });

  it('plans only WORKFLOW_TASK_COMPLETED for no commands', () => {
    const plan = planWorkflowTaskCompletion({ ...base, commands: [] });
    expect(plan.events).toHaveLength(1);
    expect(plan.activities).toEqual([]);
    expect(plan.close).toBeNull();
  });

  it('plans a cancelled close from CANCEL_WORKFLOW', () => {
    const plan = planWorkflowTaskCompletion({ ...base, commands: [{ type: CommandType.CancelWorkflow, reason: 'asked' }] });
    expect(plan.events[1]).toEqual({ event_type: EventType.WorkflowExecutionCanceled, attributes: { reason: 'asked' } });
    expect(plan.close).toEqual({ status: ExecutionStatus.Canceled, result: null, failure: null, reason: 'asked' });
  });

  it('starts a timer due its duration after now, numbered as its TIMER_STARTED event', () => {
    const plan = planWorkflowTaskCompletion({ ...base, commands: [schedule(1), { type: CommandType.StartTimer, timer_id: 4, duration_ms: 1500 }] });
    expect(plan.events[2]).toEqual({
      event_type: EventType.TimerStarted,
      attributes: { timer_id: 4, duration_ms: 1500, fire_at: new Date(NOW + 1500).toISOString() },
    });
    expect(plan.timers).toEqual([{ timerId: 4, startedEventId: 10, fireAt: NOW + 1500 }]);
    expect(plan.canceledTimerIds).toEqual([]);
  });

  it('cancels an earlier timer (its task closes) and one started by the same completion (never queued)', () => {
    const plan = planWorkflowTaskCompletion({
      ...base,
      run: state,
      commands: [
        { type: CommandType.CancelTimer, timer_id: 2 },
        { type: CommandType.StartTimer, timer_id: 3, duration_ms: 10 },
        { type: CommandType.CancelTimer, timer_id: 3 },
      ],
    });
    expect(plan.events.slice(1)).toEqual([
      { event_type: EventType.TimerCanceled, attributes: { timer_id: 2, started_event_id: 6 } },
      { event_type: EventType.TimerStarted, attributes: { timer_id: 3, duration_ms: 10, fire_at: new Date(NOW + 10).toISOString() } },
      { event_type: EventType.TimerCanceled, attributes: { timer_id: 3, started_event_id: 10 } },
    ]);
    expect(plan.timers).toEqual([]);
    expect(plan.canceledTimerIds).toEqual([2]);
  });

  it('asks activities to stop, scheduled earlier or by the same completion', () => {
    const plan = planWorkflowTaskCompletion({
      ...base,
      run: state,
      commands: [
        { type: CommandType.RequestCancelActivity, activity_id: 3 },
        schedule(5),
        { type: CommandType.RequestCancelActivity, activity_id: 5 },
      ],
    });
    expect(plan.events[1]).toEqual({ event_type: EventType.ActivityTaskCancelRequested, attributes: { scheduled_event_id: 4, activity_id: 3 } });
    expect(plan.events[3]).toEqual({ event_type: EventType.ActivityTaskCancelRequested, attributes: { scheduled_event_id: 10, activity_id: 5 } });
    expect(plan.activityCancels).toEqual([
      { activityId: 3, scheduledEventId: 4 },
      { activityId: 5, scheduledEventId: 10 },
    ]);
  });

  it('completes an accepted update, naming its acceptance', () => {
    const failure = { type: 'E', message: 'm' };
    const plan = planWorkflowTaskCompletion({ ...base, run: state, commands: [{ type: CommandType.CompleteUpdate, update_id: 'u1', result: null, failure }] });
    expect(plan.events[1]).toEqual({
      event_type: EventType.WorkflowExecutionUpdateCompleted,
      attributes: { update_id: 'u1', accepted_event_id: 7, result: null, failure },
    });
  });

  it('initiates a child with the TERMINATE policy by default, numbered as its START_CHILD_WORKFLOW_EXECUTION_INITIATED event', () => {
    const plan = planWorkflowTaskCompletion({ ...base, commands: [schedule(1), startChild(2)] });
    expect(plan.events[2]).toEqual({
      event_type: EventType.StartChildWorkflowExecutionInitiated,
      attributes: { child_id: 2, workflow_name: 'Child', execution_id: 'child-2', input: { n: 2 }, parent_close_policy: 'TERMINATE', deployment_name: null },
    });
    expect(plan.children).toEqual([{ command: { ...startChild(2), parent_close_policy: 'TERMINATE' }, initiatedEventId: 10 }]);
  });

  it('keeps the parent close policy and deployment a child names', () => {
    const plan = planWorkflowTaskCompletion({ ...base, commands: [startChild(2, { parent_close_policy: 'ABANDON', deployment_name: 'blue' })] });
    expect(plan.events[1]!.attributes).toMatchObject({ parent_close_policy: 'ABANDON', deployment_name: 'blue' });
  });

  it('asks a child the run started, or one started in the same completion, to cancel', () => {
    const plan = planWorkflowTaskCompletion({
      ...base,
      run: state,
      commands: [startChild(2), { type: CommandType.RequestCancelChildWorkflow, child_id: 1 }, { type: CommandType.RequestCancelChildWorkflow, child_id: 2 }],
    });
    expect(plan.events.slice(2)).toEqual([
      { event_type: EventType.ChildWorkflowExecutionCancelRequested, attributes: { child_id: 1, initiated_event_id: 3, execution_id: 'child-1' } },
      { event_type: EventType.ChildWorkflowExecutionCancelRequested, attributes: { child_id: 2, initiated_event_id: 9, execution_id: 'child-2' } },
    ]);
    expect(plan.childCancels.map((cancel) => cancel.childId)).toEqual([1, 2]);
  });

  const timer = (timerId: number, durationMs = 10): Command => ({ type: CommandType.StartTimer, timer_id: timerId, duration_ms: durationMs });
  const completeUpdate = (updateId: string): Command => ({ type: CommandType.CompleteUpdate, update_id: updateId, result: 1, failure: null });
  it.each([
    ['an activity id used twice in one completion', [schedule(1), schedule(1)], 'commands[1] reuses activity_id 1'],
    ['an activity id the run already scheduled', [schedule(3)], 'commands[0] reuses activity_id 3'],
    ['a command after the closing one', [{ type: CommandType.CompleteWorkflow, result: null }, schedule(1)], 'commands[1] comes after'],
    ['an unknown command type', [schedule(1), { type: 'SLEEP' } as unknown as Command], "commands[1] has unknown type 'SLEEP'"],
    ['a timer id the run already started', [timer(1)], 'commands[0] reuses timer_id 1'],
    ['a timer id used twice in one completion', [timer(7), timer(7)], 'commands[1] reuses timer_id 7'],
    ['a timer of 0 ms', [timer(7, 0)], 'commands[0] has duration_ms 0'],
    ['a timer of a fractional duration', [schedule(1), timer(7, 1.5)], 'commands[1] has duration_ms 1.5'],
    ['a timer firing past the last date', [timer(7, Number.MAX_SAFE_INTEGER)], 'commands[0] has duration_ms'],
    ['the cancellation of a timer never started', [{ type: CommandType.CancelTimer, timer_id: 9 }], 'commands[0] cancels timer_id 9, which the run never started'],
    ['the cancellation of a cancelled timer', [{ type: CommandType.CancelTimer, timer_id: 1 }], 'commands[0] cancels timer_id 1 again'],
    ['the cancellation of an activity never scheduled', [{ type: CommandType.RequestCancelActivity, activity_id: 9 }], 'commands[0] cancels activity_id 9'],
    ['the completion of an update never accepted', [completeUpdate('nope')], "commands[0] completes update 'nope', which the run never accepted"],
    ['the completion of a completed update', [completeUpdate('u0')], "commands[0] completes update 'u0' again"],
    ['an update completed twice in one completion', [completeUpdate('u1'), completeUpdate('u1')], "commands[1] completes update 'u1' again"],
    ['a child id the run already used', [startChild(1)], 'commands[0] reuses child_id 1'],
    ['a child id of 0', [startChild(0)], 'commands[0] has child_id 0'],
    ['a child without a workflow name', [startChild(2, { workflow_name: '' })], 'commands[0] workflow_name must not be empty'],
    ['a child without an execution id', [startChild(2, { execution_id: 7 })], 'commands[0] execution_id must be a string'],
    ['a child with an unknown parent close policy', [startChild(2, { parent_close_policy: 'KEEP' })], "commands[0] has parent_close_policy 'KEEP'"],
    ['a child with an empty deployment', [startChild(2, { deployment_name: '' })], 'commands[0] deployment_name must not be empty'],
    ['the cancellation of a child never started', [{ type: CommandType.RequestCancelChildWorkflow, child_id: 5 }], 'commands[0] cancels child_id 5, which the run never started'],
  ])('rejects %s with WF_REQUEST_INVALID naming the index', (_what, commands, detail) => {
    const error = rejection(commands as Command[], state);
    expect(error).toBeInstanceOf(PlatformError);
    expect(error.code).toBe(ErrorCode.RequestInvalid);
    expect(error.detail).toContain(detail);
  });
});
