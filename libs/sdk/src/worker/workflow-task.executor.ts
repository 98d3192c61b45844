import { Injectable } from '@nestjs/common';
import type { Command, Failure, JsonValue, QueryTaskWire, WorkflowTaskWire } from '#workflows/protocol';
import { ApplicationFailure } from '../errors/application-failure.js';
import { toFailure } from '../errors/failure.converter.js';
import { WorkflowRegistry } from '../discovery/workflow-registry.js';
import { replayWorkflowTask } from '../runtime/workflow-replayer.js';
import { WorkflowRun } from '../runtime/workflow-run.js';

/** The outcome of one workflow task: commands, or a failure of the task itself (not the workflow). */
export type WorkflowTaskOutcome = { commands: Command[] } | { failure: Failure };

/** The outcome of one query task: the handler's result, or its failure. */
export type QueryTaskOutcome = { result: JsonValue } | { failure: Failure };

/**
 * Runs workflow and query tasks. A workflow task: a fresh instance of the workflow replays the
 * run's history and the new commands are the answer; a non-determinism error or a bug in the task
 * fails the task, never the execution, so that fixed code can carry on. A query task: the same
 * replay, then the `@Query()` method answers from the rebuilt state; nothing is recorded.
 */
@Injectable()
export class WorkflowTaskExecutor {
  constructor(private readonly registry: WorkflowRegistry) {}

  /** Runs the task; never throws. */
  async execute(task: WorkflowTaskWire): Promise<WorkflowTaskOutcome> {
    try {
      const run = this.newRun(task, task.attempt);
      return { commands: await replayWorkflowTask(run, task.history) };
    } catch (error) {
      return { failure: toFailure(error) };
    }
  }

  /** Answers a query task; never throws. */
  async executeQuery(task: QueryTaskWire): Promise<QueryTaskOutcome> {
    try {
      const run = this.newRun(task, 1);
      await replayWorkflowTask(run, task.history);
      return { result: await run.query(task.query_name, task.input) };
    } catch (error) {
      return { failure: toFailure(error) };
    }
  }

  private newRun(task: WorkflowTaskWire | QueryTaskWire, attempt: number): WorkflowRun {
    const definition = this.registry.workflows.get(task.workflow_name);
    if (!definition) {
      throw ApplicationFailure.nonRetryable(`This worker has no workflow named '${task.workflow_name}'`, 'WorkflowNotRegistered');
    }
    return new WorkflowRun(definition, this.registry, {
      workflowName: task.workflow_name,
      executionId: task.execution_id,
      runId: task.run_id,
      taskAttempt: attempt,
    });
  }
}
