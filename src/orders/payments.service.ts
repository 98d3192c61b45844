import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Receipt } from './order.types.js';

/** A payment provider, in memory for the example; charges are idempotent by key. */
@Injectable()
export class PaymentsService {
  private readonly charges = new Map<string, Receipt>();

  /** Captures `amountCents` from the customer once per idempotency key. */
  charge(idempotencyKey: string, customerId: string, amountCents: number): Receipt {
    if (amountCents <= 0) throw new RangeError(`Cannot charge ${amountCents} cents to ${customerId}`);
    let receipt = this.charges.get(idempotencyKey);
    if (!receipt) {
      receipt = { paymentId: `pay_${randomUUID()}`, amountCents };
      this.charges.set(idempotencyKey, receipt);
    }
    return receipt;
  }
}
