import {
  COMMAND_EVENT_TYPES,
  CommandType,
  EventType,
  RESOLUTION_EVENT_TYPES,
  type Command,
  type HistoryEvent,
} from '#workflows/protocol';
import { NonDeterminismError } from '../errors/non-determinism.error.js';
import type { WorkflowRun } from './workflow-run.js';

/** Lets every microtask the workflow queued run, so that it is blocked or done. */
const drain = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs the workflow until it is blocked: drains, then re-checks its conditions, until none is newly satisfied. */
async function settle(run: WorkflowRun): Promise<void> {
  do await drain();
  while (run.checkConditions());
}

/**
 * Rebuilds a run from its history and returns the new commands it produces.
 *
 * History is cut at each `WORKFLOW_TASK_COMPLETED`: that task had seen the events up to its
 * `last_seen_event_id`. For each completed task the resolution events it had seen are applied,
 * the workflow runs until it is blocked, and the commands it issues are checked against the
 * command events recorded right after the marker. What is left (the events no task has seen
 * yet) is applied last, and the commands that follow are the answer to this task.
 */
export async function replayWorkflowTask(run: WorkflowRun, history: HistoryEvent[]): Promise<Command[]> {
  const started = history[0];
  if (!started || started.event_type !== EventType.WorkflowExecutionStarted) {
    throw new Error('A workflow task must start with WORKFLOW_EXECUTION_STARTED');
  }
  run.start(started.attributes.input);

  let nextToApply = 1;
  const applyUpTo = (lastEventId: number): void => {
    for (; nextToApply < history.length && history[nextToApply]!.event_id <= lastEventId; nextToApply++) {
      const event = history[nextToApply]!;
      if (RESOLUTION_EVENT_TYPES.has(event.event_type)) run.apply(event);
    }
  };

  for (let index = 1; index < history.length; index++) {
    const marker = history[index]!;
    if (marker.event_type !== EventType.WorkflowTaskCompleted) continue;
    applyUpTo(marker.attributes.last_seen_event_id);
    await settle(run);
    const produced = run.takeCommands();
    const recorded: HistoryEvent[] = [];
    for (let next = index + 1; next < history.length && COMMAND_EVENT_TYPES.has(history[next]!.event_type); next++) {
      recorded.push(history[next]!);
    }
    checkDeterminism(produced, recorded, marker.event_id);
  }
  applyUpTo(Number.POSITIVE_INFINITY);
  await settle(run);
  return run.takeCommands();
}

function checkDeterminism(produced: Command[], recorded: HistoryEvent[], markerEventId: number): void {
  const count = Math.max(produced.length, recorded.length);
  for (let i = 0; i < count; i++) {
    const command = produced[i];
    const event = recorded[i];
    const problem = mismatch(command, event);
    if (problem) {
      throw new NonDeterminismError(
        `Workflow task completed at event ${markerEventId}: command #${i + 1} ${problem}. ` +
          'The workflow code changed in a way that running executions cannot replay.',
      );
    }
  }
}

function mismatch(command: Command | undefined, event: HistoryEvent | undefined): string | null {
  if (!command) return `is missing: history recorded ${describeEvent(event!)}`;
  if (!event) return `${describeCommand(command)} was not in history`;
  switch (command.type) {
    case CommandType.ScheduleActivity:
      if (
        event.event_type === EventType.ActivityTaskScheduled &&
        event.attributes.activity_id === command.activity_id &&
        event.attributes.activity_name === command.activity_name
      ) {
        return null;
      }
      break;
    case CommandType.CompleteWorkflow:
      if (event.event_type === EventType.WorkflowExecutionCompleted) return null;
      break;
    case CommandType.FailWorkflow:
      if (event.event_type === EventType.WorkflowExecutionFailed) return null;
      break;
    case CommandType.CancelWorkflow:
      if (event.event_type === EventType.WorkflowExecutionCanceled) return null;
      break;
    case CommandType.StartTimer:
      if (event.event_type === EventType.TimerStarted && event.attributes.timer_id === command.timer_id) return null;
      break;
    case CommandType.CancelTimer:
      if (event.event_type === EventType.TimerCanceled && event.attributes.timer_id === command.timer_id) return null;
      break;
    case CommandType.RequestCancelActivity:
      if (event.event_type === EventType.ActivityTaskCancelRequested && event.attributes.activity_id === command.activity_id) return null;
      break;
    case CommandType.CompleteUpdate:
      if (event.event_type === EventType.WorkflowExecutionUpdateCompleted && event.attributes.update_id === command.update_id) return null;
      break;
  }
  return `is ${describeCommand(command)} but history recorded ${describeEvent(event)}`;
}

function describeCommand(command: Command): string {
  switch (command.type) {
    case CommandType.ScheduleActivity:
      return `SCHEDULE_ACTIVITY ${command.activity_name} #${command.activity_id}`;
    case CommandType.StartTimer:
    case CommandType.CancelTimer:
      return `${command.type} #${command.timer_id}`;
    case CommandType.RequestCancelActivity:
      return `${command.type} #${command.activity_id}`;
    case CommandType.CompleteUpdate:
      return `${command.type} ${command.update_id}`;
    default:
      return command.type;
  }
}

function describeEvent(event: HistoryEvent): string {
  const where = `(event ${event.event_id})`;
  switch (event.event_type) {
    case EventType.ActivityTaskScheduled:
      return `ACTIVITY_TASK_SCHEDULED ${event.attributes.activity_name} #${event.attributes.activity_id} ${where}`;
    case EventType.TimerStarted:
    case EventType.TimerCanceled:
      return `${event.event_type} #${event.attributes.timer_id} ${where}`;
    case EventType.ActivityTaskCancelRequested:
      return `${event.event_type} #${event.attributes.activity_id} ${where}`;
    case EventType.WorkflowExecutionUpdateCompleted:
      return `${event.event_type} ${event.attributes.update_id} ${where}`;
    default:
      return `${event.event_type} ${where}`;
  }
}
