import { Inject, Injectable } from '@nestjs/common';
import type { Command, Failure, JsonValue, QueryTaskWire, WorkflowTaskWire } from '#workflows/protocol';
import { ApplicationFailure } from '../errors/application-failure.js';
import { toFailure } from '../errors/failure.converter.js';
import { WorkflowRegistry } from '../discovery/workflow-registry.js';
import type { ResolvedWorkflowsOptions } from '../options/workflows-options.js';
import { replayWorkflowTask, resumeWorkflowTask } from '../runtime/workflow-replayer.js';
import type { WorkflowInfo } from '../runtime/workflow-info.js';
import { WorkflowRun } from '../runtime/workflow-run.js';
import { RESOLVED_WORKFLOWS_OPTIONS } from '../workflows.constants.js';
import { WorkflowRunCache } from './workflow-run.cache.js';

/**
 * The outcome of one workflow task: commands, or a failure of the task itself (not the workflow),
 * or (a task carrying only new events of a run this worker no longer holds) the need for the
 * whole history: the caller fetches it and runs the task again.
 */
export type WorkflowTaskOutcome = { commands: Command[] } | { failure: Failure } | { historyNeeded: true };

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
  private readonly cache: WorkflowRunCache;

  constructor(
    private readonly registry: WorkflowRegistry,
    @Inject(RESOLVED_WORKFLOWS_OPTIONS) options: Pick<ResolvedWorkflowsOptions, 'maxCachedWorkflows'>,
  ) {
    this.cache = new WorkflowRunCache(options.maxCachedWorkflows);
  }

  /**
   * Runs the task; never throws. A run this worker holds in memory (it answered the run's last
   * task) takes only the new events; any other is rebuilt by replaying the whole history (asked
   * for with `historyNeeded` when the task carries only new events). A run that answered without
   * closing is held for its next task.
   */
  async execute(task: WorkflowTaskWire): Promise<WorkflowTaskOutcome> {
    const historyInfo = {
      historyLength: task.history_length ?? task.history.length,
      continueAsNewSuggested: task.continue_as_new_suggested ?? false,
    };
    const held = this.cache.take(task.run_id);
    const partial = task.history_after_event_id !== undefined;
    try {
      let run: WorkflowRun | null = null;
      let commands: Command[] | null = null;
      if (held && (!partial || held.lastEventId === task.history_after_event_id)) {
        held.run.info = { ...held.run.info, taskAttempt: task.attempt, ...historyInfo };
        commands = await resumeWorkflowTask(held, task.history);
        if (commands) run = held.run;
        else this.cache.recordFallback();
      } else if (held) this.cache.recordFallback();
      if (!run || !commands) {
        if (partial) return { historyNeeded: true };
        run = this.newRun(task, task.attempt, historyInfo);
        commands = await replayWorkflowTask(run, task.history);
      }
      if (!run.isClosed) this.cache.put(task.run_id, { run, lastEventId: task.history.at(-1)!.event_id, produced: commands });
      return { commands };
    } catch (error) {
      return { failure: toFailure(error) };
    }
  }

  /** The sticky cache's counts: tasks applied to a held run, and tasks that replayed. */
  get cacheStats(): { held: number; hits: number; misses: number } {
    return { held: this.cache.size, ...this.cache.stats };
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

  private newRun(
    task: WorkflowTaskWire | QueryTaskWire,
    attempt: number,
    history: Pick<WorkflowInfo, 'historyLength' | 'continueAsNewSuggested'> = { historyLength: task.history.length, continueAsNewSuggested: false },
  ): WorkflowRun {
    const definition = this.registry.workflows.get(task.workflow_name);
    if (!definition) {
      throw ApplicationFailure.nonRetryable(`This worker has no workflow named '${task.workflow_name}'`, 'WorkflowNotRegistered');
    }
    return new WorkflowRun(definition, this.registry, {
      workflowName: task.workflow_name,
      executionId: task.execution_id,
      runId: task.run_id,
      taskAttempt: attempt,
      ...history,
    });
  }
}
