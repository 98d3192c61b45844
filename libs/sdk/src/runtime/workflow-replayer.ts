import { isDeepStrictEqual } from 'node:util';
import {
  COMMAND_EVENT_TYPES,
  CommandType,
  EventType,
  RESOLUTION_EVENT_TYPES,
  type Command,
  type Failure,
  type HistoryEvent,
  type JsonValue,
} from '#workflows/protocol';
import { NonDeterminismError } from '../errors/non-determinism.error.js';
import { LOCAL_ACTIVITY_MARKER, type LocalActivityCall, type LocalActivityOutcome } from './local-activity.js';
import type { WorkflowInfo } from './workflow-info.js';
import { PATCH_MARKER, SIDE_EFFECT_MARKER, type WorkflowRun } from './workflow-run.js';

/** Lets every microtask the workflow queued run, so that it is blocked or done. */
const drain = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs the workflow until it is blocked: drains, then re-checks its conditions, until none is newly satisfied. */
export async function settle(run: WorkflowRun): Promise<void> {
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
  run.loadMarkers(history);
  const { parent_execution_id: parentExecutionId, root_execution_id: rootExecutionId } = started.attributes;
  run.info = { ...run.info, parentExecutionId: parentExecutionId ?? null, rootExecutionId: rootExecutionId ?? run.info.executionId };
  const cuts = cutsOf(history, 1);
  const clock = new HistoryClock(history, 0);
  run.advance(clock.timeAt(cuts[0]!.lastEventId), cuts[0]!.markerIndex !== null);
  const live = historyFigures(run.info);
  showHistoryAsSeen(run, history, cuts[0]!, live);
  run.start(started.attributes.input);
  run.info = { ...run.info, ...live };
  return runCuts(run, history, cuts, 1, clock);
}

/** What a worker keeps of a run it holds in memory (the sticky cache): where it stopped and what it answered. */
export interface HeldRun {
  run: WorkflowRun;
  /** The last event of the task the run last answered. */
  lastEventId: number;
  /** The commands it answered with. */
  produced: Command[];
}

/**
 * Carries a run held in memory on to the new events of its next workflow task, without
 * replaying: the history must go on from where the run stopped, with its last answer recorded
 * as it was given (`WORKFLOW_TASK_COMPLETED` for the events it had seen, then its commands).
 * Returns `null` when it does not (the answer was refused, another worker took a task of the
 * run meanwhile, the history was cut short): the caller then replays from the start.
 */
export async function resumeWorkflowTask(held: HeldRun, history: HistoryEvent[]): Promise<Command[] | null> {
  const markerIndex = history.findIndex((event) => event.event_id === held.lastEventId + 1);
  const marker = history[markerIndex];
  if (!marker || marker.event_type !== EventType.WorkflowTaskCompleted || marker.attributes.last_seen_event_id !== held.lastEventId) return null;
  const recorded = recordedCommands(history, markerIndex);
  try {
    checkDeterminism(held.produced, recorded, marker.event_id);
  } catch {
    return null;
  }
  // The run goes on with the side-effect values it produced: history must record those, not another worker's.
  if (!sideEffectsAlike(held.produced, recorded)) return null;
  // Only its own answer may lie between where it stopped and the new events: no later completed task.
  const cuts = cutsOf(history, markerIndex + 1);
  if (cuts.length > 1) return null;
  held.run.loadMarkers(history.slice(markerIndex));
  return runCuts(held.run, history, cuts, markerIndex + 1, new HistoryClock(history, markerIndex));
}

/** One completed task's view of history (`markerIndex` is its WORKFLOW_TASK_COMPLETED), or the current task's (`null`). */
interface Cut {
  lastEventId: number;
  markerIndex: number | null;
}

/** The cuts of history from `fromIndex` on: each completed task saw the events up to its `last_seen_event_id`; the last cut is this task's. */
function cutsOf(history: readonly HistoryEvent[], fromIndex: number): Cut[] {
  const cuts: Cut[] = [];
  for (let index = fromIndex; index < history.length; index++) {
    const event = history[index]!;
    if (event.event_type === EventType.WorkflowTaskCompleted) cuts.push({ lastEventId: event.attributes.last_seen_event_id, markerIndex: index });
  }
  cuts.push({ lastEventId: Number.POSITIVE_INFINITY, markerIndex: null });
  return cuts;
}

/**
 * Workflow time: the timestamp of the last event a task had seen, the same on every replay.
 * Cuts only move forward, so one cursor walks the history once.
 */
class HistoryClock {
  private time: number;

  constructor(
    private readonly history: readonly HistoryEvent[],
    private cursor: number,
  ) {
    this.time = Date.parse(history[Math.max(0, cursor - 1)]!.event_timestamp);
  }

  timeAt(lastEventId: number): number {
    for (; this.cursor < this.history.length && this.history[this.cursor]!.event_id <= lastEventId; this.cursor++) {
      this.time = Date.parse(this.history[this.cursor]!.event_timestamp);
    }
    return this.time;
  }
}

/** Applies each cut's resolution events from `nextToApply` on, runs the workflow until blocked, and checks each completed task's commands. */
async function runCuts(run: WorkflowRun, history: HistoryEvent[], cuts: Cut[], nextToApply: number, clock: HistoryClock): Promise<Command[]> {
  const live = historyFigures(run.info);
  for (const cut of cuts) {
    run.advance(clock.timeAt(cut.lastEventId), cut.markerIndex !== null);
    showHistoryAsSeen(run, history, cut, live);
    for (; nextToApply < history.length && history[nextToApply]!.event_id <= cut.lastEventId; nextToApply++) {
      const event = history[nextToApply]!;
      if (RESOLUTION_EVENT_TYPES.has(event.event_type)) run.apply(event);
    }
    await settle(run);
    if (cut.markerIndex === null) break;
    const recorded = recordedCommands(history, cut.markerIndex);
    const markerEventId = history[cut.markerIndex]!.event_id;
    // The local activities this task ran settle as it recorded them, in turns, as they did when it ran.
    for (let calls = run.takeLocalCalls(); calls.length > 0; calls = run.takeLocalCalls()) {
      run.resolveLocal(calls.map((call) => recordedLocalOutcome(call, recorded, markerEventId)));
      await settle(run);
    }
    checkDeterminism(run.takeCommands(), recorded, markerEventId);
  }
  return run.takeCommands();
}

/**
 * How a completed task recorded a local activity it ran: its marker (result or failure), or the
 * ordinary activity it fell back to (scheduled with the same id). A call it never recorded means
 * the code changed: a non-determinism error.
 */
function recordedLocalOutcome(call: LocalActivityCall, recorded: readonly HistoryEvent[], markerEventId: number): LocalActivityOutcome {
  for (const event of recorded) {
    if (event.event_type === EventType.MarkerRecorded && event.attributes.marker_name === LOCAL_ACTIVITY_MARKER) {
      const details = event.attributes.details as { activity_id?: unknown; activity_name?: unknown; attempts?: unknown; result?: JsonValue; failure?: Failure } | null;
      if (details?.activity_id !== call.activity_id) continue;
      if (details.activity_name !== call.activity_name) {
        throw new NonDeterminismError(
          `Workflow task completed at event ${markerEventId}: local activity #${call.activity_id} is ${call.activity_name} but history recorded ${String(details.activity_name)} (event ${event.event_id}). ` +
            'The workflow code changed in a way that running executions cannot replay.',
        );
      }
      const attempts = typeof details.attempts === 'number' ? details.attempts : 1;
      return details.failure ? { activity_id: call.activity_id, attempts, failure: details.failure } : { activity_id: call.activity_id, attempts, result: details.result ?? null };
    }
    if (event.event_type === EventType.ActivityTaskScheduled && event.attributes.activity_id === call.activity_id) {
      return { activity_id: call.activity_id, attempts: 0, fallback: { retry: event.attributes.retry } };
    }
  }
  throw new NonDeterminismError(
    `Workflow task completed at event ${markerEventId}: local activity ${call.activity_name} #${call.activity_id} was not in history. ` +
      'The workflow code changed in a way that running executions cannot replay.',
  );
}

/** The history figures of `ctx.info`. */
function historyFigures(info: WorkflowInfo): Pick<WorkflowInfo, 'historyLength' | 'continueAsNewSuggested'> {
  return { historyLength: info.historyLength, continueAsNewSuggested: info.continueAsNewSuggested };
}

/**
 * Shows the workflow the history figures the task of `cut` saw, so that code reading
 * `ctx.info.continueAsNewSuggested` replays alike: a completed task's, from its
 * `WORKFLOW_TASK_COMPLETED` (its history was `last_seen_event_id` long); the current task's, `live`.
 */
function showHistoryAsSeen(run: WorkflowRun, history: readonly HistoryEvent[], cut: Cut, live: Pick<WorkflowInfo, 'historyLength' | 'continueAsNewSuggested'>): void {
  const marker = cut.markerIndex === null ? null : (history[cut.markerIndex] as HistoryEvent<typeof EventType.WorkflowTaskCompleted>);
  const seen = marker
    ? { historyLength: marker.attributes.last_seen_event_id, continueAsNewSuggested: marker.attributes.continue_as_new_suggested === true }
    : live;
  run.info = { ...run.info, ...seen };
}

/** The command events recorded right after the WORKFLOW_TASK_COMPLETED at `markerIndex`. */
function recordedCommands(history: readonly HistoryEvent[], markerIndex: number): HistoryEvent[] {
  const recorded: HistoryEvent[] = [];
  for (let next = markerIndex + 1; next < history.length && COMMAND_EVENT_TYPES.has(history[next]!.event_type); next++) {
    recorded.push(history[next]!);
  }
  return recorded;
}

/** Markers whose details hold a value this run produced (a side effect's, a local activity's outcome): another worker may have recorded another. */
const VALUE_MARKERS: ReadonlySet<string> = new Set([SIDE_EFFECT_MARKER, LOCAL_ACTIVITY_MARKER]);

/**
 * Whether every value marker `recorded` holds (side effects, local activity outcomes) has the
 * details `produced` gave for the same marker: a held run goes on with its own values only if
 * history recorded those, not another worker's.
 */
function sideEffectsAlike(produced: readonly Command[], recorded: readonly HistoryEvent[]): boolean {
  const values = new Map<string, unknown>();
  for (const command of produced) {
    if (command.type !== CommandType.RecordMarker || !VALUE_MARKERS.has(command.marker_name)) continue;
    // As recorded: through JSON (no undefined fields).
    values.set(`${command.marker_name} ${markerKey(command.details)}`, JSON.parse(JSON.stringify(command.details)) as unknown);
  }
  return recorded.every((event) => {
    if (event.event_type !== EventType.MarkerRecorded || !VALUE_MARKERS.has(event.attributes.marker_name)) return true;
    const key = `${event.attributes.marker_name} ${markerKey(event.attributes.details)}`;
    return values.has(key) && isDeepStrictEqual(values.get(key), event.attributes.details);
  });
}

/** A patch marker the code no longer produces (its `deprecatePatch` call was removed): skipped by the check. */
function isPatchMarker(event: HistoryEvent | undefined): boolean {
  return event?.event_type === EventType.MarkerRecorded && event.attributes.marker_name === PATCH_MARKER;
}

function checkDeterminism(produced: Command[], allRecorded: HistoryEvent[], markerEventId: number): void {
  // Recorded patch markers the code does not produce at that point are retired patches: not a mismatch.
  const recorded: HistoryEvent[] = [];
  let next = 0;
  for (const event of allRecorded) {
    const command = produced[next];
    if (isPatchMarker(event) && !(command?.type === CommandType.RecordMarker && mismatch(command, event) === null)) continue;
    recorded.push(event);
    next++;
  }
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
    case CommandType.ContinueAsNew:
      if (event.event_type === EventType.WorkflowExecutionContinuedAsNew) return null;
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
    case CommandType.StartChildWorkflow:
      if (
        event.event_type === EventType.StartChildWorkflowExecutionInitiated &&
        event.attributes.child_id === command.child_id &&
        event.attributes.workflow_name === command.workflow_name &&
        event.attributes.execution_id === command.execution_id
      ) {
        return null;
      }
      break;
    case CommandType.RequestCancelChildWorkflow:
      if (event.event_type === EventType.ChildWorkflowExecutionCancelRequested && event.attributes.child_id === command.child_id) return null;
      break;
    case CommandType.RecordMarker:
      if (
        event.event_type === EventType.MarkerRecorded &&
        event.attributes.marker_name === command.marker_name &&
        markerKey(event.attributes.details) === markerKey(command.details)
      ) {
        return null;
      }
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
    case CommandType.RecordMarker:
      return `${command.type} ${command.marker_name} ${markerKey(command.details)}`;
    case CommandType.StartChildWorkflow:
      return `${command.type} ${command.workflow_name} #${command.child_id} (execution '${command.execution_id}')`;
    case CommandType.RequestCancelChildWorkflow:
      return `${command.type} #${command.child_id}`;
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
    case EventType.MarkerRecorded:
      return `${event.event_type} ${event.attributes.marker_name} ${markerKey(event.attributes.details)} ${where}`;
    case EventType.StartChildWorkflowExecutionInitiated:
      return `${event.event_type} ${event.attributes.workflow_name} #${event.attributes.child_id} (execution '${event.attributes.execution_id}') ${where}`;
    case EventType.ChildWorkflowExecutionCancelRequested:
      return `${event.event_type} #${event.attributes.child_id} ${where}`;
    default:
      return `${event.event_type} ${where}`;
  }
}

/** What identifies a marker: a side effect's sequence number, a patch's id, a local activity's id (a value or result may differ). */
function markerKey(details: unknown): string {
  const { seq, patch_id: patchId, activity_id: activityId } = (details ?? {}) as { seq?: unknown; patch_id?: unknown; activity_id?: unknown };
  if (patchId !== undefined) return `'${String(patchId)}'`;
  return `#${String(seq ?? activityId)}`;
}
