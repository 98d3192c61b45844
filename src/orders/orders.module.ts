import { Module } from '@nestjs/common';
import { FulfilmentActivities } from './fulfilment.activities.js';
import { InventoryService } from './inventory.service.js';
import { OrderWorkflow } from './order.workflow.js';
import { PaymentsService } from './payments.service.js';
import { ShippingService } from './shipping.service.js';

/** The order domain: its workflow, its activities and the services they use. */
@Module({
  providers: [OrderWorkflow, FulfilmentActivities, InventoryService, PaymentsService, ShippingService],
})
export class OrdersModule {}
