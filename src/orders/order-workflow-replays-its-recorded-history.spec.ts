import 'reflect-metadata';
import { fileURLToPath } from 'node:url';
import { NonDeterminismError, Run, Workflow } from '#workflows/sdk';
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
});
