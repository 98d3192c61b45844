import { Module } from '@nestjs/common';
import { WorkflowsModule } from '#workflows/sdk';
import { OrdersModule } from './orders/orders.module.js';

/** The example worker app: every option comes from the environment (see README). */
@Module({
  imports: [WorkflowsModule.forRoot({}), OrdersModule],
})
export class AppModule {}
