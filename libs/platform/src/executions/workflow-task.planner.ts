import {
  CommandType,
  ErrorCode,
  EventType,
  ExecutionStatus,
  type Command,
  type Failure,
  type JsonValue,
  type NewEvent,
  type ScheduleActivityCommand,
} from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';

/** What a workflow task's completion is planned from. */
export interface WorkflowTaskPlanInput {
  commands: readonly Command[];
  /** The run's last event id when the task was leased. */
  lastSeenEventId: number;
  workerName: string;
  attempt: number;
  /** Activity ids the run has already scheduled. */
  scheduledActivityIds: ReadonlySet<number>;
}

/** An activity task to queue: its command and the index of its `ACTIVITY_TASK_SCHEDULED` in `events`. */
export interface PlannedActivity {
  eventIndex: number;
  command: ScheduleActivityCommand;
}

/** How the completion closes the run, if it does. */
export interface PlannedClose {
  status: typeof ExecutionStatus.Completed | typeof ExecutionStatus.Failed;
  result: JsonValue | null;
  failure: Failure | null;
}

/** The events to append, in order, and what they imply. */
export interface WorkflowTaskPlan {
  events: NewEvent[];
  activities: PlannedActivity[];
  close: PlannedClose | null;
}

/**
 * Turns a workflow task's commands into the events to append (`WORKFLOW_TASK_COMPLETED`
 * first, then one per command in order), the activity tasks to queue and the run's closing.
 * Pure, so that every store engine plans completions the same way. Throws `WF_REQUEST_INVALID`
 * naming the command index for an unknown type, a reused activity id, or a command after
 * a closing one.
 */
export function planWorkflowTaskCompletion(input: WorkflowTaskPlanInput): WorkflowTaskPlan {
  const events: NewEvent[] = [
    {
      event_type: EventType.WorkflowTaskCompleted,
      attributes: { last_seen_event_id: input.lastSeenEventId, worker_name: input.workerName, attempt: input.attempt },
    },
  ];
  const activities: PlannedActivity[] = [];
  const activityIds = new Set(input.scheduledActivityIds);
  let close: PlannedClose | null = null;

  input.commands.forEach((command, index) => {
    const invalid = (problem: string): PlatformError =>
      new PlatformError(ErrorCode.RequestInvalid, `commands[${index}] ${problem}`);
    if (close) throw invalid(`comes after the command that closed the workflow`);
    switch (command.type) {
      case CommandType.ScheduleActivity: {
        if (activityIds.has(command.activity_id)) throw invalid(`reuses activity_id ${command.activity_id}`);
        activityIds.add(command.activity_id);
        activities.push({ eventIndex: events.length, command });
        events.push({
          event_type: EventType.ActivityTaskScheduled,
          attributes: {
            activity_id: command.activity_id,
            activity_name: command.activity_name,
            input: command.input,
            start_to_close_timeout_ms: command.start_to_close_timeout_ms,
            schedule_to_start_timeout_ms: command.schedule_to_start_timeout_ms,
            schedule_to_close_timeout_ms: command.schedule_to_close_timeout_ms,
            heartbeat_timeout_ms: command.heartbeat_timeout_ms,
            retry: command.retry,
          },
        });
        return;
      }
      case CommandType.CompleteWorkflow:
        close = { status: ExecutionStatus.Completed, result: command.result, failure: null };
        events.push({ event_type: EventType.WorkflowExecutionCompleted, attributes: { result: command.result } });
        return;
      case CommandType.FailWorkflow:
        close = { status: ExecutionStatus.Failed, result: null, failure: command.failure };
        events.push({ event_type: EventType.WorkflowExecutionFailed, attributes: { failure: command.failure } });
        return;
      default:
        throw invalid(`has unknown type '${String((command as { type?: unknown }).type)}'`);
    }
  });
  return { events, activities, close };
}
