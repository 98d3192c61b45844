import {
  CommandType,
  ErrorCode,
  EventType,
  ExecutionStatus,
  ParentClosePolicy,
  PlatformFailureType,
  idProblem,
  type Command,
  type Failure,
  type JsonValue,
  type NewEvent,
  type ScheduleActivityCommand,
  type StartChildWorkflowCommand,
} from '#workflows/protocol';
import { randomUUID } from 'node:crypto';
import { PlatformError } from '../errors/platform.error.js';

/** The parent close policies a `START_CHILD_WORKFLOW` may name. */
const PARENT_CLOSE_POLICIES: ReadonlySet<string> = new Set(Object.values(ParentClosePolicy));

/** The latest instant a `Date` holds: a timer may not fire after it (its `fire_at` would not print). */
const MAX_DATE_MS = 8.64e15;

/** A timer the run started: its `TIMER_STARTED` event, and whether a `TIMER_CANCELED` followed. */
export interface StartedTimer {
  startedEventId: number;
  canceled: boolean;
}

/** An update the run accepted: its `WORKFLOW_EXECUTION_UPDATE_ACCEPTED` event, and whether it completed. */
export interface AcceptedUpdate {
  acceptedEventId: number;
  completed: boolean;
}

/** What the run's history says about the ids a workflow task's commands may name. */
export interface RunCommandState {
  /** Scheduled activity ids and their `ACTIVITY_TASK_SCHEDULED` event ids. */
  activities: ReadonlyMap<number, number>;
  /** Started timers by timer id. */
  timers: ReadonlyMap<number, StartedTimer>;
  /** Accepted updates by update id: at least those the commands complete. */
  updates: ReadonlyMap<string, AcceptedUpdate>;
  /** Addition (issue 6): child workflows the run initiated, by child id. */
  children?: ReadonlyMap<number, InitiatedChild>;
}

/** A child workflow the run initiated: its `START_CHILD_WORKFLOW_EXECUTION_INITIATED` event and its execution id. */
export interface InitiatedChild {
  initiatedEventId: number;
  executionId: string;
}

/** What a workflow task's completion is planned from. */
export interface WorkflowTaskPlanInput {
  commands: readonly Command[];
  /** The run's last event id when the task was leased. */
  lastSeenEventId: number;
  workerName: string;
  attempt: number;
  /** The id the first planned event gets: the run's last event id + 1. */
  firstEventId: number;
  /** When the task completes: a timer fires its `duration_ms` after. */
  now: number;
  run: RunCommandState;
  /** Addition (issue 6): the run's workflow, which `CONTINUE_AS_NEW` without `workflow_name` continues. */
  workflowName?: string;
  /** Addition (issue 6): the run id `CONTINUE_AS_NEW` gives the new run. @default a random UUID */
  newRunId?: string;
  /** Addition (issue 6): the task had been told to continue as new: recorded on `WORKFLOW_TASK_COMPLETED` for replays. */
  continueAsNewSuggested?: boolean;
}

/** An activity task to queue: its command and the index of its `ACTIVITY_TASK_SCHEDULED` in `events`. */
export interface PlannedActivity {
  eventIndex: number;
  command: ScheduleActivityCommand;
}

/** A timer to start: its task, due at `fireAt`, names its `TIMER_STARTED` event. */
export interface PlannedTimer {
  timerId: number;
  startedEventId: number;
  fireAt: number;
}

/** A child workflow to start: its command (policy resolved) and its `START_CHILD_WORKFLOW_EXECUTION_INITIATED` event's id. */
export interface PlannedChild {
  command: StartChildWorkflowCommand & { parent_close_policy: ParentClosePolicy };
  initiatedEventId: number;
}

/** A child workflow the workflow asked to cancel. */
export interface PlannedChildCancel {
  childId: number;
  initiatedEventId: number;
  executionId: string;
}

/** An activity the workflow asked to stop. */
export interface PlannedActivityCancel {
  activityId: number;
  scheduledEventId: number;
}

/** How the completion closes the run, if it does. */
export interface PlannedClose {
  status: typeof ExecutionStatus.Completed | typeof ExecutionStatus.Failed | typeof ExecutionStatus.Canceled | typeof ExecutionStatus.ContinuedAsNew;
  result: JsonValue | null;
  failure: Failure | null;
  /** Set with `CANCELED`: the reason the workflow gave. */
  reason?: string | null;
  /** Set with `CONTINUED_AS_NEW`: the run that starts, under the same execution id. */
  continueAsNew?: PlannedContinuation;
}

/** The new run a `CONTINUE_AS_NEW` command starts. */
export interface PlannedContinuation {
  runId: string;
  workflowName: string;
  input: JsonValue | null;
}

/** The events to append, in order, and what they imply. */
export interface WorkflowTaskPlan {
  events: NewEvent[];
  activities: PlannedActivity[];
  /** Timers to start; a timer the same completion cancels is not started. */
  timers: PlannedTimer[];
  /** Timers of earlier tasks this completion cancels: their tasks close if they have not fired. */
  canceledTimerIds: number[];
  /** Activities the workflow asked to stop, in command order. */
  activityCancels: PlannedActivityCancel[];
  /** Child workflows to start, in command order. */
  children: PlannedChild[];
  /** Child workflows to ask to cancel, in command order. */
  childCancels: PlannedChildCancel[];
  close: PlannedClose | null;
}

/**
 * Turns a workflow task's commands into the events to append (`WORKFLOW_TASK_COMPLETED`
 * first, then one per command in order), the activity tasks and timers to queue, the timers
 * and activities to cancel, and the run's closing. Pure, so that every store engine plans
 * completions the same way. Throws `WF_REQUEST_INVALID` naming the command index for an unknown
 * type, a reused activity, timer or child id, a timer duration that is not a positive integer, a
 * cancellation of a timer never started (or already cancelled), of an activity never scheduled
 * or of a child never started, a child with an invalid workflow name, execution id, deployment or
 * parent close policy, a completion of an update never accepted (or already completed), or a
 * command after a closing one.
 */
export function planWorkflowTaskCompletion(input: WorkflowTaskPlanInput): WorkflowTaskPlan {
  const events: NewEvent[] = [
    {
      event_type: EventType.WorkflowTaskCompleted,
      attributes: {
        last_seen_event_id: input.lastSeenEventId,
        worker_name: input.workerName,
        attempt: input.attempt,
        ...(input.continueAsNewSuggested ? { continue_as_new_suggested: true } : {}),
      },
    },
  ];
  const plan: WorkflowTaskPlan = { events, activities: [], timers: [], canceledTimerIds: [], activityCancels: [], children: [], childCancels: [], close: null };
  const activities = new Map(input.run.activities);
  const timers = new Map(input.run.timers);
  const updates = new Map(input.run.updates);
  const children = new Map(input.run.children ?? []);
  const nextEventId = () => input.firstEventId + events.length;

  input.commands.forEach((command, index) => {
    const invalid = (problem: string): PlatformError => new PlatformError(ErrorCode.RequestInvalid, `commands[${index}] ${problem}`);
    if (plan.close) throw invalid(`comes after the command that closed the workflow`);
    switch (command.type) {
      case CommandType.ScheduleActivity: {
        if (activities.has(command.activity_id)) throw invalid(`reuses activity_id ${command.activity_id}`);
        activities.set(command.activity_id, nextEventId());
        plan.activities.push({ eventIndex: events.length, command });
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
      case CommandType.RequestCancelActivity: {
        const scheduledEventId = activities.get(command.activity_id);
        if (scheduledEventId === undefined) throw invalid(`cancels activity_id ${command.activity_id}, which the run never scheduled`);
        plan.activityCancels.push({ activityId: command.activity_id, scheduledEventId });
        events.push({
          event_type: EventType.ActivityTaskCancelRequested,
          attributes: { scheduled_event_id: scheduledEventId, activity_id: command.activity_id },
        });
        return;
      }
      case CommandType.StartTimer: {
        if (timers.has(command.timer_id)) throw invalid(`reuses timer_id ${command.timer_id}`);
        if (!Number.isSafeInteger(command.duration_ms) || command.duration_ms < 1) {
          throw invalid(`has duration_ms ${String(command.duration_ms)}: it must be an integer of at least 1`);
        }
        const fireAt = input.now + command.duration_ms;
        if (fireAt > MAX_DATE_MS) throw invalid(`has duration_ms ${command.duration_ms}: the timer would fire after the last representable date`);
        const startedEventId = nextEventId();
        timers.set(command.timer_id, { startedEventId, canceled: false });
        plan.timers.push({ timerId: command.timer_id, startedEventId, fireAt });
        events.push({
          event_type: EventType.TimerStarted,
          attributes: { timer_id: command.timer_id, duration_ms: command.duration_ms, fire_at: new Date(fireAt).toISOString() },
        });
        return;
      }
      case CommandType.CancelTimer: {
        const timer = timers.get(command.timer_id);
        if (!timer) throw invalid(`cancels timer_id ${command.timer_id}, which the run never started`);
        if (timer.canceled) throw invalid(`cancels timer_id ${command.timer_id} again`);
        timers.set(command.timer_id, { ...timer, canceled: true });
        const startedHere = plan.timers.findIndex((planned) => planned.timerId === command.timer_id);
        if (startedHere >= 0) plan.timers.splice(startedHere, 1);
        else plan.canceledTimerIds.push(command.timer_id);
        events.push({ event_type: EventType.TimerCanceled, attributes: { timer_id: command.timer_id, started_event_id: timer.startedEventId } });
        return;
      }
      case CommandType.CompleteUpdate: {
        const update = updates.get(command.update_id);
        if (!update) throw invalid(`completes update '${command.update_id}', which the run never accepted`);
        if (update.completed) throw invalid(`completes update '${command.update_id}' again`);
        updates.set(command.update_id, { ...update, completed: true });
        events.push({
          event_type: EventType.WorkflowExecutionUpdateCompleted,
          attributes: { update_id: command.update_id, accepted_event_id: update.acceptedEventId, result: command.result, failure: command.failure },
        });
        return;
      }
      case CommandType.CompleteWorkflow:
        plan.close = { status: ExecutionStatus.Completed, result: command.result, failure: null };
        events.push({ event_type: EventType.WorkflowExecutionCompleted, attributes: { result: command.result } });
        return;
      case CommandType.FailWorkflow:
        plan.close = { status: ExecutionStatus.Failed, result: null, failure: command.failure };
        events.push({ event_type: EventType.WorkflowExecutionFailed, attributes: { failure: command.failure } });
        return;
      case CommandType.CancelWorkflow:
        plan.close = { status: ExecutionStatus.Canceled, result: null, failure: null, reason: command.reason };
        events.push({ event_type: EventType.WorkflowExecutionCanceled, attributes: { reason: command.reason } });
        return;
      case CommandType.StartChildWorkflow: {
        if (!Number.isSafeInteger(command.child_id) || command.child_id < 1) {
          throw invalid(`has child_id ${String(command.child_id)}: it must be an integer of at least 1`);
        }
        if (children.has(command.child_id)) throw invalid(`reuses child_id ${command.child_id}`);
        const nameProblem = idProblem(command.workflow_name);
        if (nameProblem) throw invalid(`workflow_name ${nameProblem}`);
        const idProblemText = idProblem(command.execution_id);
        if (idProblemText) throw invalid(`execution_id ${idProblemText}`);
        const deploymentName = command.deployment_name ?? null;
        const deploymentProblem = deploymentName === null ? null : idProblem(deploymentName);
        if (deploymentProblem) throw invalid(`deployment_name ${deploymentProblem}`);
        const policy = command.parent_close_policy ?? ParentClosePolicy.Terminate;
        if (!PARENT_CLOSE_POLICIES.has(policy)) {
          throw invalid(`has parent_close_policy '${String(policy)}': it must be one of ${[...PARENT_CLOSE_POLICIES].join(', ')}`);
        }
        const initiatedEventId = nextEventId();
        children.set(command.child_id, { initiatedEventId, executionId: command.execution_id });
        plan.children.push({ command: { ...command, parent_close_policy: policy }, initiatedEventId });
        events.push({
          event_type: EventType.StartChildWorkflowExecutionInitiated,
          attributes: {
            child_id: command.child_id,
            workflow_name: command.workflow_name,
            execution_id: command.execution_id,
            input: command.input ?? null,
            parent_close_policy: policy,
            deployment_name: deploymentName,
          },
        });
        return;
      }
      case CommandType.RequestCancelChildWorkflow: {
        const child = children.get(command.child_id);
        if (!child) throw invalid(`cancels child_id ${String(command.child_id)}, which the run never started`);
        const ids = { child_id: command.child_id, initiated_event_id: child.initiatedEventId, execution_id: child.executionId };
        plan.childCancels.push({ childId: command.child_id, initiatedEventId: child.initiatedEventId, executionId: child.executionId });
        events.push({ event_type: EventType.ChildWorkflowExecutionCancelRequested, attributes: ids });
        return;
      }
      case CommandType.RecordMarker:
        events.push({ event_type: EventType.MarkerRecorded, attributes: { marker_name: command.marker_name, details: command.details } });
        return;
      case CommandType.ContinueAsNew: {
        const workflowName = command.workflow_name ?? input.workflowName;
        if (!workflowName) throw invalid(`continues as new without a workflow_name`);
        const continuation: PlannedContinuation = { runId: input.newRunId ?? randomUUID(), workflowName, input: command.input };
        plan.close = { status: ExecutionStatus.ContinuedAsNew, result: null, failure: null, continueAsNew: continuation };
        events.push({
          event_type: EventType.WorkflowExecutionContinuedAsNew,
          attributes: { new_run_id: continuation.runId, workflow_name: workflowName, input: command.input },
        });
        return;
      }
      default:
        throw invalid(`has unknown type '${String((command as { type?: unknown }).type)}'`);
    }
  });
  return plan;
}

/**
 * The failure a workflow task's attempt is recorded with when it would have closed the run
 * without having seen an external event (signal, update, cancellation request) that arrived
 * while it ran: the run stays open and the next attempt is given that event.
 */
export function unhandledExternalEventFailure(event: { event_id: number; event_type: string }): Failure {
  return {
    type: PlatformFailureType.UnhandledExternalEvent,
    message: `the workflow task would have closed the run without handling ${event.event_type} (event ${event.event_id}), which arrived meanwhile`,
  };
}
