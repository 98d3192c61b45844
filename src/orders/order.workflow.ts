import { Run, Workflow } from '#workflows/sdk';
import { FulfilmentActivities } from './fulfilment.activities.js';
import type { FulfilmentResult, Order } from './order.types.js';

/** Fulfils an order: reserve the stock, charge the customer, book the shipment. */
@Workflow({ name: 'order-fulfilment' })
export class OrderWorkflow {
  constructor(private readonly fulfilment: FulfilmentActivities) {}

  @Run()
  async run(order: Order): Promise<FulfilmentResult> {
    const reservation = await this.fulfilment.reserveStock(order);
    const receipt = await this.fulfilment.chargePayment(order);
    const shipment = await this.fulfilment.createShipment(order);
    return {
      orderId: order.orderId,
      reservationId: reservation.reservationId,
      paymentId: receipt.paymentId,
      amountCents: receipt.amountCents,
      trackingNumber: shipment.trackingNumber,
    };
  }
}
