import 'reflect-metadata';
import { fileURLToPath } from 'node:url';
import { InvalidHistoryError, NonDeterminismError, Run, Workflow } from '#workflows/sdk';
import type { HistoryEvent } from '#workflows/protocol';
import { loadHistory, replayHistory } from '#workflows/testing';
import { FulfilmentActivities } from './fulfilment.activities.js';
import type { Order } from './order.types.js';
import { OrderWorkflow } from './order.workflow.js';

/** A history recorded from a real run of the example app (see README, "Testing your workflows"). */
const recorded = loadHistory(fileURLToPath(new URL('./order.workflow.history.json', import.meta.url)));

describe('OrderWorkflow against its recorded history', () => {
  it('replays to the end with nothing left to do', async () => {
    expect(await replayHistory(OrderWorkflow, recorded, [FulfilmentActivities])).toEqual([]);
  });

  it('fails the check when a change reorders the activities', async () => {
    @Workflow({ name: 'order-fulfilment' })
    class ChargeFirstWorkflow {
      constructor(private readonly fulfilment: FulfilmentActivities) {}
      @Run() async run(order: Order): Promise<void> {
        await this.fulfilment.chargePayment(order);
        await this.fulfilment.reserveStock(order);
      }
    }
    await expect(replayHistory(ChargeFirstWorkflow, recorded, [FulfilmentActivities])).rejects.toThrow(NonDeterminismError);
    await expect(replayHistory(ChargeFirstWorkflow, recorded, [FulfilmentActivities])).rejects.toThrow(
      /SCHEDULE_ACTIVITY chargePayment #1 but history recorded ACTIVITY_TASK_SCHEDULED reserveStock #1/,
    );
  });

  it('refuses a malformed history, naming the problem', async () => {
    const replay = (history: unknown) => replayHistory(OrderWorkflow, history as HistoryEvent[], [FulfilmentActivities]);
    await expect(replay({ rows: [] })).rejects.toThrow(new InvalidHistoryError('A history is an array of events, or an object with an `events` array'));
    await expect(replay([])).rejects.toThrow('The history has no events');
    await expect(replay([recorded[0], recorded[2]])).rejects.toThrow('event [1] has event_id 3; events are numbered 1, 2, 3, … without gaps');
    await expect(replay([{ ...recorded[0], event_type: 'SOMETHING' }])).rejects.toThrow('event [0] has an unknown event_type "SOMETHING"');
    await expect(replay(recorded.slice(1).map((e, i) => ({ ...e, event_id: i + 1 })))).rejects.toThrow(
      'The history starts with WORKFLOW_TASK_COMPLETED, not WORKFLOW_EXECUTION_STARTED',
    );
    await expect(replay({ events: recorded })).resolves.toEqual([]);
  });

  it("refuses another workflow's history", async () => {
    @Workflow({ name: 'invoicing' })
    class InvoicingWorkflow {
      @Run() async run(): Promise<void> {}
    }
    await expect(replayHistory(InvoicingWorkflow, recorded)).rejects.toThrow(
      "The history is of workflow 'order-fulfilment', but InvoicingWorkflow is workflow 'invoicing'",
    );
  });
});
