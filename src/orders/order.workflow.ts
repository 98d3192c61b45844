import { Query, Run, Workflow } from '#workflows/sdk';
import { FulfilmentActivities } from './fulfilment.activities.js';
import type { FulfilmentResult, Order } from './order.types.js';

/** Where an order's fulfilment stands, as the `progress` query answers. */
export type OrderStage = 'reserving stock' | 'charging payment' | 'booking shipment' | 'done';

/** Fulfils an order: reserve the stock, charge the customer, book the shipment. */
@Workflow({ name: 'order-fulfilment' })
export class OrderWorkflow {
  private stage: OrderStage = 'reserving stock';

  constructor(private readonly fulfilment: FulfilmentActivities) {}

  @Run()
  async run(order: Order): Promise<FulfilmentResult> {
    const reservation = await this.fulfilment.reserveStock(order);
    this.stage = 'charging payment';
    const receipt = await this.fulfilment.chargePayment(order);
    this.stage = 'booking shipment';
    const shipment = await this.fulfilment.createShipment(order);
    this.stage = 'done';
    return {
      orderId: order.orderId,
      reservationId: reservation.reservationId,
      paymentId: receipt.paymentId,
      amountCents: receipt.amountCents,
      trackingNumber: shipment.trackingNumber,
    };
  }

  /** `handle.query('progress')`: the step the order is at. */
  @Query()
  progress(): { stage: OrderStage } {
    return { stage: this.stage };
  }
}
