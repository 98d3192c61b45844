/** One line of an order. */
export interface OrderLine {
  sku: string;
  quantity: number;
  unitPriceCents: number;
}

/** An order as the workflow receives it. */
export interface Order {
  orderId: string;
  customerId: string;
  lines: OrderLine[];
  address: string;
}

/** Stock held for an order. */
export interface Reservation {
  reservationId: string;
  orderId: string;
}

/** A captured payment. */
export interface Receipt {
  paymentId: string;
  amountCents: number;
}

/** A shipment booked with the carrier. */
export interface Shipment {
  trackingNumber: string;
  carrier: string;
}

/** What the order workflow returns. */
export interface FulfilmentResult {
  orderId: string;
  reservationId: string;
  paymentId: string;
  amountCents: number;
  trackingNumber: string;
}
