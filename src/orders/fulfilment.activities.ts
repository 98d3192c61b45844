import { Injectable } from '@nestjs/common';
import { Activity, ActivityContext } from '#workflows/sdk';
import { InventoryService } from './inventory.service.js';
import type { Order, Receipt, Reservation, Shipment } from './order.types.js';
import { PaymentsService } from './payments.service.js';
import { ShippingService } from './shipping.service.js';

/**
 * The order's real work. It injects `ActivityContext`, so Nest resolves it once per activity
 * task, in a scope of its own.
 */
@Injectable()
export class FulfilmentActivities {
  constructor(
    private readonly inventory: InventoryService,
    private readonly payments: PaymentsService,
    private readonly shipping: ShippingService,
    private readonly context: ActivityContext,
  ) {}

  /** Holds the stock; an out-of-stock SKU is not worth retrying. */
  @Activity({ startToCloseTimeout: '10s', retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['OutOfStockError'] } })
  async reserveStock(order: Order): Promise<Reservation> {
    return this.inventory.reserve(order.orderId, order.lines);
  }

  /** Charges the customer; the execution id makes retries idempotent. */
  @Activity({ startToCloseTimeout: '30s', retry: { maximumAttempts: 5 } })
  async chargePayment(order: Order): Promise<Receipt> {
    const amount = order.lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
    return this.payments.charge(`${this.context.info.executionId}:charge`, order.customerId, amount);
  }

  /** Books the shipment. */
  @Activity({ startToCloseTimeout: '30s' })
  async createShipment(order: Order): Promise<Shipment> {
    return this.shipping.book(order.orderId, order.address);
  }
}
