import { Injectable } from '@nestjs/common';
import type { Command, Failure, WorkflowTaskWire } from '#workflows/protocol';
import { ApplicationFailure } from '../errors/application-failure.js';
import { toFailure } from '../errors/failure.converter.js';
import { WorkflowRegistry } from '../discovery/workflow-registry.js';
import { replayWorkflowTask } from '../runtime/workflow-replayer.js';
import { WorkflowRun } from '../runtime/workflow-run.js';

/** The outcome of one workflow task: commands, or a failure of the task itself (not the workflow). */
export type WorkflowTaskOutcome = { commands: Command[] } | { failure: Failure };

/**
 * Runs one workflow task: a fresh instance of the workflow replays the run's history and the
 * new commands are the answer. A non-determinism error or a bug in the task fails the task,
 * never the execution, so that fixed code can carry on.
 */
@Injectable()
export class WorkflowTaskExecutor {
  constructor(private readonly registry: WorkflowRegistry) {}

  /** Runs the task; never throws. */
  async execute(task: WorkflowTaskWire): Promise<WorkflowTaskOutcome> {
    const definition = this.registry.workflows.get(task.workflow_name);
    if (!definition) {
      return {
        failure: toFailure(
          ApplicationFailure.nonRetryable(`This worker has no workflow named '${task.workflow_name}'`, 'WorkflowNotRegistered'),
        ),
      };
    }
    try {
      const run = new WorkflowRun(definition, this.registry, {
        workflowName: task.workflow_name,
        executionId: task.execution_id,
        runId: task.run_id,
        taskAttempt: task.attempt,
      });
      return { commands: await replayWorkflowTask(run, task.history) };
    } catch (error) {
      return { failure: toFailure(error) };
    }
  }
}
