import 'reflect-metadata';
import { Injectable, type Type } from '@nestjs/common';
import { z } from 'zod';
import { CommandType, EventType, type NewEvent } from '#workflows/protocol';
import { Activity } from '../decorators/activity.decorator.js';
import { Query, Signal, Update } from '../decorators/handler.decorators.js';
import { Run } from '../decorators/run.decorator.js';
import { Workflow } from '../decorators/workflow.decorator.js';
import { addActivityProvider, addWorkflowClass } from '../discovery/registry.builder.js';
import { WorkflowRegistry, toRegistrationWire } from '../discovery/workflow-registry.js';
import { CancelledFailure } from '../errors/cancelled-failure.js';
import { NonDeterminismError } from '../errors/non-determinism.error.js';
import { WorkflowContext } from './workflow-context.js';
import { replayWorkflowTask } from './workflow-replayer.js';
import { WorkflowRun } from './workflow-run.js';
import { history, scheduled, signaled, started, taskCompleted, timerCanceled, timerFired, timerStarted } from '../testing/history.builders.js';

@Injectable()
class Shop {
  @Activity() async charge(amount: number): Promise<string> {
    return `receipt-${amount}`;
  }
  @Activity() async refund(receipt: string): Promise<string> {
    return `refunded-${receipt}`;
  }
}

@Workflow({ name: 'approval', input: z.object({ amount: z.number().positive() }) })
class ApprovalWorkflow {
  private approved = false;
  private notes: string[] = [];
  constructor(
    private readonly ctx: WorkflowContext,
    private readonly shop: Shop,
  ) {}

  @Run()
  async run(input: { amount: number }): Promise<string> {
    await this.ctx.sleep('1h');
    const approved = await this.ctx.condition(() => this.approved, '7d');
    if (!approved) return 'expired';
    return this.shop.charge(input.amount);
  }

  @Signal({ input: z.object({ by: z.string() }) })
  approve(): void {
    this.approved = true;
  }

  @Update()
  async addNote(note: string): Promise<number> {
    if (note === '') throw new Error('empty note');
    this.notes.push(note);
    return this.notes.length;
  }

  @Query()
  status(): { approved: boolean; notes: string[] } {
    return { approved: this.approved, notes: this.notes };
  }
}

@Workflow({ name: 'fragile-condition' })
class FragileConditionWorkflow {
  private broken = false;
  constructor(private readonly ctx: WorkflowContext) {}

  @Run()
  async run(): Promise<boolean> {
    return this.ctx.condition(() => {
      if (this.broken) throw new Error('predicate broke');
      return false;
    }, '1h');
  }

  @Signal()
  breakIt(): void {
    this.broken = true;
  }
}

@Workflow({ name: 'compensating' })
class CompensatingWorkflow {
  constructor(
    private readonly ctx: WorkflowContext,
    private readonly shop: Shop,
  ) {}

  @Run()
  async run(): Promise<string> {
    const receipt = 'receipt-1';
    try {
      await this.shop.charge(1);
      await this.ctx.sleep('1d');
      return 'done';
    } catch (error) {
      if (!(error instanceof CancelledFailure)) throw error;
      await this.shop.refund(receipt);
      throw error;
    }
  }
}

function runOf(workflow: Type): WorkflowRun {
  const registry = new WorkflowRegistry();
  const problems: string[] = [];
  addActivityProvider(registry, Shop, true, problems);
  addWorkflowClass(registry, workflow, problems);
  expect(problems).toEqual([]);
  const definition = [...registry.workflows.values()][0]!;
  return new WorkflowRun(definition, registry, { workflowName: definition.name, executionId: 'e1', runId: 'r1', taskAttempt: 1 });
}

/** The history of an approval run that slept, and now waits on its condition (timer #2 is the 7-day timeout). */
const waitingOnApproval = (): NewEvent[] => [
  started({ amount: 5 }), // 1
  taskCompleted(1), // 2
  timerStarted(1, 3_600_000), // 3
  timerFired(1, 3), // 4
  taskCompleted(4), // 5
  timerStarted(2, 7 * 86_400_000), // 6
];

describe('a workflow that waits for time and for people', () => {
  it('starts a durable timer for sleep() and carries on when it fires', async () => {
    expect(await replayWorkflowTask(runOf(ApprovalWorkflow), history(started({ amount: 5 })))).toEqual([
      { type: CommandType.StartTimer, timer_id: 1, duration_ms: 3_600_000 },
    ]);
    const afterFire = await replayWorkflowTask(runOf(ApprovalWorkflow), history(started({ amount: 5 }), taskCompleted(1), timerStarted(1, 3_600_000), timerFired(1, 3)));
    expect(afterFire).toEqual([{ type: CommandType.StartTimer, timer_id: 2, duration_ms: 7 * 86_400_000 }]);
  });

  it('resolves a condition when a signal makes it true, and cancels its timeout timer', async () => {
    const commands = await replayWorkflowTask(runOf(ApprovalWorkflow), history(...waitingOnApproval(), signaled('approve', { by: 'ann' })));
    expect(commands).toEqual([
      { type: CommandType.CancelTimer, timer_id: 2 },
      expect.objectContaining({ type: CommandType.ScheduleActivity, activity_id: 1, activity_name: 'charge', input: [5] }),
    ]);
  });

  it('resolves a condition false when its timeout fires first', async () => {
    const commands = await replayWorkflowTask(runOf(ApprovalWorkflow), history(...waitingOnApproval(), timerFired(2, 6)));
    expect(commands).toEqual([{ type: CommandType.CompleteWorkflow, result: 'expired' }]);
  });

  it('ignores a timer that fires after the workflow cancelled it (the cancel was recorded first)', async () => {
    const commands = await replayWorkflowTask(
      runOf(ApprovalWorkflow),
      history(...waitingOnApproval(), signaled('approve', { by: 'ann' }), taskCompleted(7), timerCanceled(2, 6), scheduled(1, 'charge', [5]), timerFired(2, 6)),
    );
    expect(commands).toEqual([]);
  });

  it('fails the workflow when a condition predicate throws, and cancels the timeout timer it no longer needs', async () => {
    const commands = await replayWorkflowTask(
      runOf(FragileConditionWorkflow),
      history(started(null), taskCompleted(1), timerStarted(1, 3_600_000), signaled('breakIt', null)),
    );
    expect(commands).toEqual([
      { type: CommandType.CancelTimer, timer_id: 1 },
      { type: CommandType.FailWorkflow, failure: expect.objectContaining({ message: 'predicate broke' }) },
    ]);
  });

  it('runs an update handler and answers with its result or its failure, without failing the workflow', async () => {
    const accepted = (id: string, note: string): NewEvent => ({
      event_type: EventType.WorkflowExecutionUpdateAccepted,
      attributes: { update_id: id, update_name: 'addNote', input: note },
    });
    const commands = await replayWorkflowTask(runOf(ApprovalWorkflow), history(...waitingOnApproval(), accepted('u1', 'hello'), accepted('u2', '')));
    expect(commands).toEqual([
      { type: CommandType.CompleteUpdate, update_id: 'u1', result: 1, failure: null },
      { type: CommandType.CompleteUpdate, update_id: 'u2', result: null, failure: expect.objectContaining({ type: 'Error', message: 'empty note' }) },
    ]);
  });

  it('answers a query from the replayed state and records nothing', async () => {
    const run = runOf(ApprovalWorkflow);
    await replayWorkflowTask(run, history(...waitingOnApproval(), signaled('approve', { by: 'ann' })));
    run.takeCommands();
    expect(await run.query('status', null)).toEqual({ approved: true, notes: [] });
    expect(run.takeCommands()).toEqual([]);
    await expect(run.query('missing', null)).rejects.toThrow("Workflow 'approval' has no query handler named 'missing'");
  });

  it('fails replay when the code starts a timer where history recorded another command', async () => {
    const recorded = history(started({ amount: 5 }), taskCompleted(1), timerStarted(1, 60_000));
    // The same workflow sleeps for an hour now: timer ids match, the duration is not part of the check.
    await expect(replayWorkflowTask(runOf(ApprovalWorkflow), recorded)).resolves.toEqual([]);
    const scheduledInstead = history(started({ amount: 5 }), taskCompleted(1), scheduled(1, 'charge', [5]));
    await expect(replayWorkflowTask(runOf(ApprovalWorkflow), scheduledInstead)).rejects.toThrow(NonDeterminismError);
    await expect(replayWorkflowTask(runOf(ApprovalWorkflow), scheduledInstead)).rejects.toThrow(
      /START_TIMER #1 but history recorded ACTIVITY_TASK_SCHEDULED charge #1/,
    );
  });
});

describe('cancelling a workflow', () => {
  const running = (): NewEvent[] => [
    started(null), // 1
    taskCompleted(1), // 2
    scheduled(1, 'charge', [1]), // 3
  ];
  const cancelRequested: NewEvent = { event_type: EventType.WorkflowExecutionCancelRequested, attributes: { reason: 'customer left' } };

  it('rejects what the workflow awaits with CancelledFailure, asks the activity to stop, and lets it compensate', async () => {
    const commands = await replayWorkflowTask(runOf(CompensatingWorkflow), history(...running(), cancelRequested));
    expect(commands).toEqual([
      { type: CommandType.RequestCancelActivity, activity_id: 1 },
      expect.objectContaining({ type: CommandType.ScheduleActivity, activity_id: 2, activity_name: 'refund', input: ['receipt-1'] }),
    ]);
  });

  it('ends as CANCELED when the cancellation escapes @Run(), ignoring the cancelled activity late result', async () => {
    const lateResult: NewEvent = {
      event_type: EventType.ActivityTaskCompleted,
      attributes: { scheduled_event_id: 3, activity_id: 1, attempt: 1, result: 'receipt-1' },
    };
    const cancelRequestedEvent: NewEvent = { event_type: EventType.ActivityTaskCancelRequested, attributes: { scheduled_event_id: 3, activity_id: 1 } };
    const refundCompleted: NewEvent = {
      event_type: EventType.ActivityTaskCompleted,
      attributes: { scheduled_event_id: 7, activity_id: 2, attempt: 1, result: 'refunded' },
    };
    const commands = await replayWorkflowTask(
      runOf(CompensatingWorkflow),
      history(...running(), cancelRequested, taskCompleted(4), cancelRequestedEvent, scheduled(2, 'refund', ['receipt-1']), lateResult, refundCompleted),
    );
    expect(commands).toEqual([{ type: CommandType.CancelWorkflow, reason: 'customer left' }]);
  });

  it('cancels a pending sleep with a CANCEL_TIMER', async () => {
    const sleeping = [
      ...running(),
      { event_type: EventType.ActivityTaskCompleted, attributes: { scheduled_event_id: 3, activity_id: 1, attempt: 1, result: 'r' } } as NewEvent, // 4
      taskCompleted(4), // 5
      timerStarted(1, 86_400_000), // 6
    ];
    const commands = await replayWorkflowTask(runOf(CompensatingWorkflow), history(...sleeping, cancelRequested));
    expect(commands).toEqual([
      { type: CommandType.CancelTimer, timer_id: 1 },
      expect.objectContaining({ type: CommandType.ScheduleActivity, activity_id: 2, activity_name: 'refund' }),
    ]);
  });
});

describe('registration of schemas and handlers', () => {
  it('sends the input schema and each handler with its JSON Schema', () => {
    const registry = new WorkflowRegistry();
    const problems: string[] = [];
    addActivityProvider(registry, Shop, true, problems);
    addWorkflowClass(registry, ApprovalWorkflow, problems);
    const wire = toRegistrationWire(registry.workflows.get('approval')!);
    expect(wire).toEqual({
      name: 'approval',
      input_schema: expect.objectContaining({ type: 'object', required: ['amount'] }),
      signals: [{ name: 'approve', input_schema: expect.objectContaining({ properties: { by: { type: 'string' } } }) }],
      queries: [{ name: 'status', input_schema: null }],
      updates: [{ name: 'addNote', input_schema: null }],
    });
  });

  it('reports duplicate handler names and schemas JSON Schema cannot express', () => {
    @Workflow({ name: 'bad' })
    class Bad {
      @Run() async run(): Promise<void> {}
      @Signal({ name: 'go' }) a(): void {}
      @Signal({ name: 'go' }) b(): void {}
      @Update({ input: z.date() }) c(): void {}
    }
    const problems: string[] = [];
    addWorkflowClass(new WorkflowRegistry(), Bad, problems);
    expect(problems).toEqual([
      "workflow Bad has two @Signal() handlers named 'go' (a and b)",
      expect.stringMatching(/^workflow Bad @Update\(\) c input schema cannot be expressed as JSON Schema: /),
    ]);
  });
});
