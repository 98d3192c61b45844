import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { EventType, type HistoryEvent } from '#workflows/protocol';
import { Activity } from '../decorators/activity.decorator.js';
import { Query } from '../decorators/handler.decorators.js';
import { Run } from '../decorators/run.decorator.js';
import { Workflow } from '../decorators/workflow.decorator.js';
import { addActivityProvider, addWorkflowClass } from '../discovery/registry.builder.js';
import { WorkflowRegistry } from '../discovery/workflow-registry.js';
import { WorkflowContext } from './workflow-context.js';
import { replayWorkflowTask } from './workflow-replayer.js';
import { WorkflowRun } from './workflow-run.js';

@Injectable()
class Lookups {
  @Activity() async price(): Promise<number> {
    return 1;
  }
}

@Workflow({ name: 'waiting-queries' })
class WaitingQueriesWorkflow {
  private done = false;
  private readonly pricing: Promise<number>;
  constructor(
    private readonly ctx: WorkflowContext,
    private readonly lookups: Lookups,
  ) {
    this.pricing = Promise.resolve(0);
  }

  @Run()
  async run(): Promise<void> {
    await this.ctx.condition(() => this.done);
  }

  @Query() async sleepy(): Promise<string> {
    await this.ctx.sleep('1s');
    return 'awake';
  }

  @Query() async patient(): Promise<string> {
    await this.ctx.condition(() => this.done);
    return 'done';
  }

  @Query() async schedules(): Promise<number> {
    return this.lookups.price();
  }

  @Query() async settled(): Promise<number> {
    await Promise.resolve();
    return (await this.pricing) + 1;
  }
}

function replayedRun(): Promise<WorkflowRun> {
  const registry = new WorkflowRegistry();
  const problems: string[] = [];
  addActivityProvider(registry, Lookups, true, problems);
  addWorkflowClass(registry, WaitingQueriesWorkflow, problems);
  expect(problems).toEqual([]);
  const definition = registry.workflows.get('waiting-queries')!;
  const run = new WorkflowRun(definition, registry, { workflowName: definition.name, executionId: 'e1', runId: 'r1', taskAttempt: 1 });
  const started = {
    event_id: 1,
    event_timestamp: '2026-01-01T00:00:00.000Z',
    event_type: EventType.WorkflowExecutionStarted,
    attributes: { workflow_name: 'waiting-queries', deployment_name: null, input: null, run_id: 'r1' },
  } as HistoryEvent;
  return replayWorkflowTask(run, [started]).then(() => run);
}

describe('a query handler that waits', () => {
  it('fails as not read-only when it starts a timer or schedules an activity, instead of never answering', async () => {
    const run = await replayedRun();
    await expect(run.query('sleepy', null)).rejects.toMatchObject({ type: 'QueryNotReadOnly' });
    await expect(run.query('schedules', null)).rejects.toMatchObject({ type: 'QueryNotReadOnly' });
  });

  it('fails when it waits on something only a later event could settle, instead of never answering', async () => {
    const run = await replayedRun();
    await expect(run.query('patient', null)).rejects.toThrow("Query 'patient' of workflow 'waiting-queries' did not answer");
  });

  it('still answers when it awaits promises that are already settled', async () => {
    const run = await replayedRun();
    await expect(run.query('settled', null)).resolves.toBe(1);
  });
});
