import { Inject, Injectable } from '@nestjs/common';
import type { Command, Failure, JsonValue, QueryTaskWire, WorkflowTaskWire } from '#workflows/protocol';
import { ApplicationFailure } from '../errors/application-failure.js';
import { toFailure } from '../errors/failure.converter.js';
import { WorkflowRegistry } from '../discovery/workflow-registry.js';
import type { ResolvedWorkflowsOptions } from '../options/workflows-options.js';
import type { LocalActivityCall, LocalActivityOutcome } from '../runtime/local-activity.js';
import { replayWorkflowTask, resumeWorkflowTask, settle } from '../runtime/workflow-replayer.js';
import type { WorkflowInfo } from '../runtime/workflow-info.js';
import { WorkflowRun } from '../runtime/workflow-run.js';
import { RESOLVED_WORKFLOWS_OPTIONS } from '../workflows.constants.js';
import { WorkflowRunCache } from './workflow-run.cache.js';

/**
 * The outcome of one workflow task: commands, or a failure of the task itself (not the workflow),
 * or (a task carrying only new events of a run this worker no longer holds) the need for the
 * whole history: the caller fetches it and runs the task again.
 */
export type WorkflowTaskOutcome =
  | { commands: Command[] }
  | { failure: Failure }
  | { historyNeeded: true }
  | { localActivities: LocalActivityCall[] };

/** What a task that waited for its local activities answers next: never a need for history. */
export type LocalResumeOutcome = Exclude<WorkflowTaskOutcome, { historyNeeded: true }>;

/** A run waiting, in the middle of its workflow task, for the outcomes of the local activities it called. */
interface SuspendedRun {
  /** The lease of the task it waits in: outcomes for another attempt of the task are not its own. */
  taskToken: string;
  run: WorkflowRun;
  lastEventId: number;
  /** The commands the task produced so far. */
  commands: Command[];
}

/** The outcome of one query task: the handler's result, or its failure. */
export type QueryTaskOutcome = { result: JsonValue } | { failure: Failure };

/**
 * Runs workflow and query tasks. A workflow task whose run calls local activities answers with
 * them (`localActivities`); the caller runs them and hands their outcomes to
 * {@link WorkflowTaskExecutor.resumeLocal}, until the task answers with its commands. A workflow task: a fresh instance of the workflow replays the
 * run's history and the new commands are the answer; a non-determinism error or a bug in the task
 * fails the task, never the execution, so that fixed code can carry on. A query task: the same
 * replay, then the `@Query()` method answers from the rebuilt state; nothing is recorded.
 */
@Injectable()
export class WorkflowTaskExecutor {
  private readonly cache: WorkflowRunCache;
  /** Runs waiting for their local activities' outcomes, by run id. */
  private readonly suspended = new Map<string, SuspendedRun>();

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
    // A task of a run still waiting on its local activities supersedes it (the old task timed out).
    this.suspended.delete(task.run_id);
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
      return this.answer(task.run_id, { taskToken: task.task_token, run, lastEventId: task.history.at(-1)!.event_id, commands });
    } catch (error) {
      return { failure: toFailure(error) };
    }
  }

  /**
   * Goes on with a workflow task that answered `localActivities`: the outcomes settle what the
   * workflow awaits, and it runs until it is blocked again. Never throws.
   */
  async resumeLocal(task: Pick<WorkflowTaskWire, 'run_id' | 'task_token'>, outcomes: LocalActivityOutcome[]): Promise<LocalResumeOutcome> {
    const runId = task.run_id;
    const suspended = this.suspended.get(runId);
    if (!suspended || suspended.taskToken !== task.task_token) {
      return { failure: { type: 'LocalActivityRunLost', message: `Run ${runId} no longer waits for its local activities here; the workflow task is retried` } };
    }
    this.suspended.delete(runId);
    try {
      suspended.run.resolveLocal(outcomes);
      await settle(suspended.run);
      suspended.commands.push(...suspended.run.takeCommands());
      return this.answer(runId, suspended);
    } catch (error) {
      return { failure: toFailure(error) };
    }
  }

  /** The task's answer: the local activities its run waits for (it is suspended until their outcomes), or its commands (the run held for its next task). */
  private answer(runId: string, state: SuspendedRun): LocalResumeOutcome {
    const { run, lastEventId, commands } = state;
    const localActivities = run.takeLocalCalls();
    if (localActivities.length > 0) {
      this.suspended.set(runId, state);
      return { localActivities };
    }
    if (!run.isClosed) this.cache.put(runId, { run, lastEventId, produced: commands });
    return { commands };
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
