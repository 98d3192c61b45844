import { Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import type { Shipment } from './order.types.js';

/** A carrier's booking API, in memory for the example. */
@Injectable()
export class ShippingService {
  /** Books a pickup for the order to the address. */
  book(orderId: string, address: string): Shipment {
    if (!address.trim()) throw new Error(`Order ${orderId} has no delivery address`);
    return { trackingNumber: `TRK${randomInt(10 ** 9, 10 ** 10)}`, carrier: 'example-post' };
  }
}
