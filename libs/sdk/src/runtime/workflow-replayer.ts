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
    await drain();
    const produced = run.takeCommands();
    const recorded: HistoryEvent[] = [];
    for (let next = index + 1; next < history.length && COMMAND_EVENT_TYPES.has(history[next]!.event_type); next++) {
      recorded.push(history[next]!);
    }
    checkDeterminism(produced, recorded, marker.event_id);
  }
  applyUpTo(Number.POSITIVE_INFINITY);
  await drain();
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
  }
  return `is ${describeCommand(command)} but history recorded ${describeEvent(event)}`;
}

function describeCommand(command: Command): string {
  return command.type === CommandType.ScheduleActivity
    ? `SCHEDULE_ACTIVITY ${command.activity_name} #${command.activity_id}`
    : command.type;
}

function describeEvent(event: HistoryEvent): string {
  return event.event_type === EventType.ActivityTaskScheduled
    ? `ACTIVITY_TASK_SCHEDULED ${event.attributes.activity_name} #${event.attributes.activity_id} (event ${event.event_id})`
    : `${event.event_type} (event ${event.event_id})`;
}
