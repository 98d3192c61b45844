import type { Type } from '@nestjs/common';
import { EventType, type Command, type HistoryEvent } from '#workflows/protocol';
import { addActivityProvider, addWorkflowClass, workflowOptionsOf } from '../discovery/registry.builder.js';
import { WorkflowRegistry } from '../discovery/workflow-registry.js';
import { WorkflowsDiscoveryError } from '../discovery/workflows-discovery.error.js';
import { replayWorkflowTask } from './workflow-replayer.js';
import { WorkflowRun } from './workflow-run.js';

/** A history given to {@link replayHistory} that is not one, or not this workflow's. */
export class InvalidHistoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidHistoryError';
  }
}

const EVENT_TYPES = new Set<string>(Object.values(EventType));

/**
 * Replays a recorded history against the current code of a workflow class, without Nest or a
 * platform, and returns the commands the code would issue next. Throws `NonDeterminismError`
 * when the code no longer matches the history: the check to run in CI before a deploy.
 * `history` is the events, or the page `GET …/history` answers (`{events}`); a malformed
 * history, or one of another workflow, throws an {@link InvalidHistoryError} naming the problem.
 */
export async function replayHistory(workflow: Type, history: HistoryEvent[] | { events: HistoryEvent[] }, activities: Type[] = []): Promise<Command[]> {
  if (!workflowOptionsOf(workflow)) throw new TypeError(`${workflow.name} is not a @Workflow() class`);
  const registry = new WorkflowRegistry();
  const problems: string[] = [];
  for (const provider of activities) addActivityProvider(registry, provider, true, problems);
  addWorkflowClass(registry, workflow, problems);
  if (problems.length > 0) throw new WorkflowsDiscoveryError(problems);
  const definition = [...registry.workflows.values()][0]!;
  const events = checkHistory(history);
  const started = events[0] as HistoryEvent<typeof EventType.WorkflowExecutionStarted>;
  if (started.attributes.workflow_name !== definition.name) {
    throw new InvalidHistoryError(
      `The history is of workflow '${started.attributes.workflow_name}', but ${workflow.name} is workflow '${definition.name}'`,
    );
  }
  const run = new WorkflowRun(definition, registry, {
    workflowName: definition.name,
    executionId: 'replay',
    runId: started.attributes.run_id,
    taskAttempt: 1,
  });
  return replayWorkflowTask(run, events);
}

/** The events of a history, checked: numbered 1, 2, 3, … with known types, starting with `WORKFLOW_EXECUTION_STARTED`. */
function checkHistory(history: unknown): HistoryEvent[] {
  const events = Array.isArray(history) ? history : (history as { events?: unknown } | null)?.events;
  if (!Array.isArray(events)) throw new InvalidHistoryError('A history is an array of events, or an object with an `events` array');
  if (events.length === 0) throw new InvalidHistoryError('The history has no events');
  events.forEach((event: unknown, index) => {
    const where = `event [${index}]`;
    if (typeof event !== 'object' || event === null) throw new InvalidHistoryError(`${where} is not an object`);
    const { event_id: id, event_type: type, event_timestamp: timestamp, attributes } = event as Record<string, unknown>;
    if (id !== index + 1) throw new InvalidHistoryError(`${where} has event_id ${JSON.stringify(id)}; events are numbered 1, 2, 3, … without gaps`);
    if (typeof type !== 'string' || !EVENT_TYPES.has(type)) throw new InvalidHistoryError(`${where} has an unknown event_type ${JSON.stringify(type)}`);
    if (typeof timestamp !== 'string' || Number.isNaN(Date.parse(timestamp))) {
      throw new InvalidHistoryError(`${where} has no valid event_timestamp`);
    }
    if (typeof attributes !== 'object' || attributes === null) throw new InvalidHistoryError(`${where} has no attributes object`);
  });
  const first = events[0] as HistoryEvent;
  if (first.event_type !== EventType.WorkflowExecutionStarted) {
    throw new InvalidHistoryError(`The history starts with ${first.event_type}, not WORKFLOW_EXECUTION_STARTED`);
  }
  if (typeof first.attributes.workflow_name !== 'string') throw new InvalidHistoryError('WORKFLOW_EXECUTION_STARTED has no workflow_name');
  return events as HistoryEvent[];
}
