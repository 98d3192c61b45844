import 'reflect-metadata';
import type { Type } from '@nestjs/common';
import { CommandType, EventType, formatTaskToken, type NewEvent, type WorkflowTaskWire } from '#workflows/protocol';
import { Run } from '../decorators/run.decorator.js';
import { Workflow } from '../decorators/workflow.decorator.js';
import { addWorkflowClass } from '../discovery/registry.builder.js';
import { WorkflowRegistry } from '../discovery/workflow-registry.js';
import { ContinueAsNew } from '../errors/continue-as-new.js';
import { NonDeterminismError } from '../errors/non-determinism.error.js';
import { WorkflowTaskExecutor } from '../worker/workflow-task.executor.js';
import { WorkflowContext } from './workflow-context.js';
import { replayWorkflowTask } from './workflow-replayer.js';
import { WorkflowRun } from './workflow-run.js';
import { history, started as startedWith, taskCompleted, timerFired, timerStarted } from '../testing/history.builders.js';

interface Count {
  count: number;
  limit: number;
}

/** Counts to `limit`, one step per run: sleeps, then continues as new with the next count. */
@Workflow({ name: 'counter' })
class CounterWorkflow {
  constructor(private readonly ctx: WorkflowContext) {}

  @Run()
  async run(input: Count): Promise<number> {
    await this.ctx.sleep('1s');
    const next = input.count + 1;
    if (next >= input.limit) return next;
    return this.ctx.continueAsNew({ count: next, limit: input.limit });
  }
}

/** Continues as new only when the platform suggests it, as another workflow; reports its history length otherwise. */
@Workflow({ name: 'long-lived' })
class LongLivedWorkflow {
  constructor(private readonly ctx: WorkflowContext) {}

  @Run()
  async run(): Promise<number> {
    if (this.ctx.info.continueAsNewSuggested) await this.ctx.continueAsNew({ carried: this.ctx.info.historyLength }, { workflowName: 'long-lived-v2' });
    return this.ctx.info.historyLength;
  }
}

/** Sleeps in a loop and continues as new once the platform suggests it: its first check runs before any await. */
@Workflow({ name: 'looping' })
class LoopingWorkflow {
  constructor(private readonly ctx: WorkflowContext) {}

  @Run()
  async run(): Promise<never> {
    for (;;) {
      if (this.ctx.info.continueAsNewSuggested) return this.ctx.continueAsNew({ length: this.ctx.info.historyLength });
      await this.ctx.sleep('1s');
    }
  }
}

function registryOf(workflow: Type): WorkflowRegistry {
  const registry = new WorkflowRegistry();
  const problems: string[] = [];
  addWorkflowClass(registry, workflow, problems);
  expect(problems).toEqual([]);
  return registry;
}

function runOf(workflow: Type): WorkflowRun {
  const registry = registryOf(workflow);
  const definition = [...registry.workflows.values()][0]!;
  return new WorkflowRun(definition, registry, { workflowName: definition.name, executionId: 'e1', runId: 'r1', taskAttempt: 1 });
}

const started = (input: unknown, workflowName = 'counter'): NewEvent => startedWith(input, workflowName);

/** A counter run at `count` whose timer fired: its next task decides. */
const sleptAt = (count: number): NewEvent[] => [started({ count, limit: 3 }), taskCompleted(1), timerStarted(1, 1000), timerFired(1, 3)];

describe('continue-as-new in a workflow', () => {
  it('closes the run with CONTINUE_AS_NEW carrying the next input, the same workflow by default', async () => {
    expect(await replayWorkflowTask(runOf(CounterWorkflow), history(...sleptAt(0)))).toEqual([
      { type: CommandType.ContinueAsNew, input: { count: 1, limit: 3 } },
    ]);
    // The last run completes instead.
    expect(await replayWorkflowTask(runOf(CounterWorkflow), history(...sleptAt(2)))).toEqual([{ type: CommandType.CompleteWorkflow, result: 3 }]);
  });

  it('replays a run that continued as new without a non-determinism error, and produces nothing more', async () => {
    const continued: NewEvent = {
      event_type: EventType.WorkflowExecutionContinuedAsNew,
      attributes: { new_run_id: 'r2', workflow_name: 'counter', input: { count: 1, limit: 3 } },
    };
    expect(await replayWorkflowTask(runOf(CounterWorkflow), history(...sleptAt(0), taskCompleted(4), continued))).toEqual([]);
  });

  it('names CONTINUE_AS_NEW in the non-determinism error when history recorded another close', async () => {
    const completed: NewEvent = { event_type: EventType.WorkflowExecutionCompleted, attributes: { result: 1 } };
    const replay = replayWorkflowTask(runOf(CounterWorkflow), history(...sleptAt(0), taskCompleted(4), completed));
    await expect(replay).rejects.toThrow(NonDeterminismError);
    await expect(replayWorkflowTask(runOf(CounterWorkflow), history(...sleptAt(0), taskCompleted(4), completed))).rejects.toThrow(
      /command #1 is CONTINUE_AS_NEW but history recorded WORKFLOW_EXECUTION_COMPLETED \(event 6\)/,
    );
  });

  it('reads the history length and the suggestion from the workflow task, and may continue as another workflow', async () => {
    const executor = new WorkflowTaskExecutor(registryOf(LongLivedWorkflow), { maxCachedWorkflows: 10 });
    const task = (suggested: boolean): WorkflowTaskWire => ({
      kind: 'workflow',
      task_token: formatTaskToken({ kind: 'workflow', taskId: 1, attempt: 1 }),
      execution_id: 'e1',
      run_id: 'r1',
      workflow_name: 'long-lived',
      attempt: 1,
      history: history(started(null, 'long-lived')),
      history_length: 12_000,
      continue_as_new_suggested: suggested,
    });
    expect(await executor.execute(task(false))).toEqual({ commands: [{ type: CommandType.CompleteWorkflow, result: 12_000 }] });
    // Another run id: the first run (closed) is not held, this one replays with the new figures.
    expect(await executor.execute({ ...task(true), run_id: 'r2' })).toEqual({
      commands: [{ type: CommandType.ContinueAsNew, input: { carried: 12_000 }, workflow_name: 'long-lived-v2' }],
    });
  });

  it('replays each completed task with the history figures it saw, so that reading the suggestion stays deterministic', async () => {
    const registry = registryOf(LoopingWorkflow);
    const definition = [...registry.workflows.values()][0]!;
    const run = new WorkflowRun(definition, registry, {
      workflowName: 'looping',
      executionId: 'e1',
      runId: 'r1',
      taskAttempt: 1,
      historyLength: 4,
      continueAsNewSuggested: true,
    });
    // The first task was not told to continue (it slept); the current one is.
    const events = history(started(null, 'looping'), taskCompleted(1), timerStarted(1, 1000), timerFired(1, 3));
    expect(await replayWorkflowTask(run, events)).toEqual([{ type: CommandType.ContinueAsNew, input: { length: 4 } }]);
    expect(run.info).toMatchObject({ historyLength: 4, continueAsNewSuggested: true });
    // A completed task that was told so replays its continue-as-new.
    const told: NewEvent = { event_type: EventType.WorkflowTaskCompleted, attributes: { last_seen_event_id: 4, worker_name: 'w', attempt: 1, continue_as_new_suggested: true } };
    const continued: NewEvent = { event_type: EventType.WorkflowExecutionContinuedAsNew, attributes: { new_run_id: 'r2', workflow_name: 'looping', input: { length: 4 } } };
    const later = new WorkflowRun(definition, registry, { workflowName: 'looping', executionId: 'e1', runId: 'r1', taskAttempt: 1 });
    expect(await replayWorkflowTask(later, history(started(null, 'looping'), taskCompleted(1), timerStarted(1, 1000), timerFired(1, 3), told, continued))).toEqual([]);
  });

  it('rejects with ContinueAsNew, whose input is already a JSON payload', async () => {
    const ctx = runOf(CounterWorkflow).context;
    const error = await ctx.continueAsNew({ at: new Date('2026-01-01T00:00:00.000Z'), skip: undefined }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ContinueAsNew);
    expect((error as ContinueAsNew).input).toEqual({ at: '2026-01-01T00:00:00.000Z' });
  });
});
