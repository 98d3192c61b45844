import 'reflect-metadata';
import { CommandType, EventType, type NewEvent } from '#workflows/protocol';
import { Run } from '../decorators/run.decorator.js';
import { Workflow } from '../decorators/workflow.decorator.js';
import { noHandlers, WorkflowRegistry, type WorkflowDefinition } from '../discovery/workflow-registry.js';
import { ChildWorkflowFailure, StartChildWorkflowFailure } from '../errors/child-workflow-failure.js';
import { NonDeterminismError } from '../errors/non-determinism.error.js';
import { childCompleted, childInitiated, childStarted, history, started, taskCompleted } from '../testing/history.builders.js';
import { WorkflowContext } from './workflow-context.js';
import { replayWorkflowTask } from './workflow-replayer.js';
import { WorkflowRun } from './workflow-run.js';

@Workflow({ name: 'shipment' })
class ShipmentWorkflow {
  @Run() async run(): Promise<string> {
    return 'shipped';
  }
}

/** Starts a shipment child, then a second one, and reports how each went. */
class OrderWorkflow {
  constructor(private readonly ctx: WorkflowContext) {}
  async run(): Promise<unknown> {
    const first = await this.ctx.executeChild<string>(ShipmentWorkflow, { input: { box: 1 } });
    try {
      return { first, second: await this.ctx.executeChild('shipment', { executionId: 'fixed' }) };
    } catch (error) {
      if (error instanceof StartChildWorkflowFailure) return { first, secondStart: error.type };
      if (error instanceof ChildWorkflowFailure) return { first, secondEnded: error.status, cause: (error.cause as Error).name };
      throw error;
    }
  }
}

/** The order workflow after a change: it starts another workflow first. */
class ChangedOrderWorkflow {
  constructor(private readonly ctx: WorkflowContext) {}
  async run(): Promise<unknown> {
    return this.ctx.executeChild('invoice');
  }
}

function runOf(metatype: WorkflowDefinition['metatype']): WorkflowRun {
  const definition: WorkflowDefinition = { name: 'order', metatype, runMethod: 'run', params: [{ kind: 'context' }], inputSchema: null, handlers: noHandlers() };
  return new WorkflowRun(definition, new WorkflowRegistry(), { workflowName: 'order', executionId: 'o1', runId: 'r1', taskAttempt: 1 });
}

/** The history up to the first child's completion: started, task 1 (initiated, started), task 2, child completed. */
const firstChildDone: NewEvent[] = [
  started(null, 'order'),
  taskCompleted(1),
  childInitiated(1, 'shipment', 'r1-child-1', { box: 1 }),
  childStarted(1, 3, 'r1-child-1'),
  taskCompleted(4),
  childCompleted(1, 3, 'r1-child-1', 'shipped'),
];

describe('child workflows on replay', () => {
  it('starts a child by class name with an id derived from the run, the same on every replay', async () => {
    const commands = await replayWorkflowTask(runOf(OrderWorkflow), history(started(null, 'order')));
    expect(commands).toEqual([
      { type: CommandType.StartChildWorkflow, child_id: 1, workflow_name: 'shipment', execution_id: 'r1-child-1', input: { box: 1 }, parent_close_policy: 'TERMINATE' },
    ]);
  });

  it("resolves the child's start and result from history and goes on to the next child", async () => {
    const commands = await replayWorkflowTask(runOf(OrderWorkflow), history(...firstChildDone));
    expect(commands).toEqual([expect.objectContaining({ type: CommandType.StartChildWorkflow, child_id: 2, execution_id: 'fixed' })]);
  });

  it.each([
    [
      'a start that failed',
      { event_type: EventType.StartChildWorkflowExecutionFailed, attributes: { child_id: 2, initiated_event_id: 8, execution_id: 'fixed', failure: { type: 'WorkflowExecutionAlreadyStarted', message: 'taken' } } },
      { first: 'shipped', secondStart: 'WorkflowExecutionAlreadyStarted' },
    ],
    [
      'a child that was cancelled',
      { event_type: EventType.ChildWorkflowExecutionCanceled, attributes: { child_id: 2, initiated_event_id: 8, execution_id: 'fixed', run_id: 'x', reason: 'stop' } },
      { first: 'shipped', secondEnded: 'CANCELED', cause: 'CancelledFailure' },
    ],
  ])('gives the workflow %s as a named failure', async (_what, outcome, result) => {
    const resolution = outcome as NewEvent;
    const events = [...firstChildDone, taskCompleted(6), childInitiated(2, 'shipment', 'fixed')];
    // A failed start has no CHILD_WORKFLOW_EXECUTION_STARTED; a child that ran has.
    if (resolution.event_type !== EventType.StartChildWorkflowExecutionFailed) events.push(childStarted(2, 8, 'fixed'));
    const commands = await replayWorkflowTask(runOf(OrderWorkflow), history(...events, resolution));
    expect(commands).toEqual([{ type: CommandType.CompleteWorkflow, result }]);
  });

  it('detects a child the changed code no longer starts, naming both', async () => {
    await expect(replayWorkflowTask(runOf(ChangedOrderWorkflow), history(...firstChildDone))).rejects.toThrow(NonDeterminismError);
    await expect(replayWorkflowTask(runOf(ChangedOrderWorkflow), history(...firstChildDone))).rejects.toThrow(
      /command #1 is START_CHILD_WORKFLOW invoice #1 \(execution 'r1-child-1'\) but history recorded START_CHILD_WORKFLOW_EXECUTION_INITIATED shipment #1 \(execution 'r1-child-1'\) \(event 3\)/,
    );
  });

  it('asks a child to cancel when the cancellation was recorded before the child started', async () => {
    // The request arrived while the task that starts the child ran: it is applied first on the next task.
    const events = history(
      started(null, 'order'),
      { event_type: EventType.WorkflowExecutionCancelRequested, attributes: { reason: 'stop' } },
      taskCompleted(1),
      childInitiated(1, 'shipment', 'r1-child-1', { box: 1 }),
      childStarted(1, 4, 'r1-child-1'),
    );
    expect(await replayWorkflowTask(runOf(OrderWorkflow), events)).toEqual([{ type: CommandType.RequestCancelChildWorkflow, child_id: 1 }]);
  });

  it('treats a child event of a child the run never started as non-determinism', async () => {
    const events = history(started(null, 'order'), childCompleted(4, 3, 'ghost', null));
    await expect(replayWorkflowTask(runOf(OrderWorkflow), events)).rejects.toThrow(/resolves child workflow #4, which this run never started/);
  });
});
