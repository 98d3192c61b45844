import { describe, expect, it } from '@jest/globals';
import { CommandType, ErrorCode, EventType, ExecutionStatus, type Command, type RetryPolicyWire } from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';
import { planWorkflowTaskCompletion } from './workflow-task.planner.js';

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
const base = { lastSeenEventId: 7, workerName: 'w', attempt: 2, scheduledActivityIds: new Set<number>() };

function rejection(commands: Command[], scheduled: number[] = []): PlatformError {
  try {
    planWorkflowTaskCompletion({ ...base, commands, scheduledActivityIds: new Set(scheduled) });
  } catch (error) {
    return error as PlatformError;
  }
  throw new Error('expected a rejection');
}

describe('planWorkflowTaskCompletion', () => {
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

  it.each([
    ['an activity id used twice in one completion', [schedule(1), schedule(1)], [], 'commands[1] reuses activity_id 1'],
    ['an activity id the run already scheduled', [schedule(3)], [3], 'commands[0] reuses activity_id 3'],
    ['a command after the closing one', [{ type: CommandType.CompleteWorkflow, result: null }, schedule(1)], [], 'commands[1] comes after'],
    ['an unknown command type', [schedule(1), { type: 'START_TIMER' } as unknown as Command], [], "commands[1] has unknown type 'START_TIMER'"],
  ])('rejects %s with WF_REQUEST_INVALID naming the index', (_what, commands, scheduled, detail) => {
    const error = rejection(commands as Command[], scheduled as number[]);
    expect(error).toBeInstanceOf(PlatformError);
    expect(error.code).toBe(ErrorCode.RequestInvalid);
    expect(error.detail).toContain(detail);
  });
});
