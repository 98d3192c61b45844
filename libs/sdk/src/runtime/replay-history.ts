import type { Type } from '@nestjs/common';
import type { Command, HistoryEvent } from '#workflows/protocol';
import { addActivityProvider, addWorkflowClass, workflowOptionsOf } from '../discovery/registry.builder.js';
import { WorkflowRegistry } from '../discovery/workflow-registry.js';
import { WorkflowsDiscoveryError } from '../discovery/workflows-discovery.error.js';
import { replayWorkflowTask } from './workflow-replayer.js';
import { WorkflowRun } from './workflow-run.js';

/**
 * Replays a recorded history against the current code of a workflow class, without Nest or a
 * platform, and returns the commands the code would issue next. Throws `NonDeterminismError`
 * when the code no longer matches the history: the check to run in CI before a deploy.
 */
export async function replayHistory(workflow: Type, history: HistoryEvent[], activities: Type[] = []): Promise<Command[]> {
  if (!workflowOptionsOf(workflow)) throw new TypeError(`${workflow.name} is not a @Workflow() class`);
  const registry = new WorkflowRegistry();
  const problems: string[] = [];
  for (const provider of activities) addActivityProvider(registry, provider, true, problems);
  addWorkflowClass(registry, workflow, problems);
  if (problems.length > 0) throw new WorkflowsDiscoveryError(problems);
  const definition = [...registry.workflows.values()][0]!;
  const started = history[0];
  const run = new WorkflowRun(definition, registry, {
    workflowName: definition.name,
    executionId: 'replay',
    runId: started?.event_type === 'WORKFLOW_EXECUTION_STARTED' ? started.attributes.run_id : 'replay',
    taskAttempt: 1,
  });
  return replayWorkflowTask(run, history);
}
