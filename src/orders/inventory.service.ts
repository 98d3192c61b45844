import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { OrderLine, Reservation } from './order.types.js';

/** Thrown when an order asks for more than is in stock. */
export class OutOfStockError extends Error {
  constructor(readonly sku: string) {
    super(`SKU ${sku} is out of stock`);
    this.name = 'OutOfStockError';
  }
}

/** A warehouse's stock, in memory for the example. */
@Injectable()
export class InventoryService {
  private readonly reservations = new Map<string, Reservation>();

  /** Holds stock for the order's lines; the same order reserves once. */
  reserve(orderId: string, lines: OrderLine[]): Reservation {
    const existing = this.reservations.get(orderId);
    if (existing) return existing;
    for (const line of lines) if (line.sku.startsWith('SOLD-OUT')) throw new OutOfStockError(line.sku);
    const reservation = { reservationId: randomUUID(), orderId };
    this.reservations.set(orderId, reservation);
    return reservation;
  }
}
