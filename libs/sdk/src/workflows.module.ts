import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ActivityContext } from './activity/activity-context.js';
import { activityContextProvider } from './activity/activity-context.provider.js';
import { WorkflowsClient } from './client/workflows-client.js';
import { WorkflowRegistry } from './discovery/workflow-registry.js';
import { WorkflowsExplorer } from './discovery/workflows.explorer.js';
import { resolveWorkflowsOptions, type WorkflowsModuleOptions } from './options/workflows-options.js';
import { WorkflowContext } from './runtime/workflow-context.js';
import { workflowContextProvider } from './runtime/workflow-context.provider.js';
import { PlatformConnection } from './transport/platform-connection.js';
import { ActivityTaskExecutor } from './worker/activity-task.executor.js';
import { WorkerService } from './worker/worker.service.js';
import { WorkflowTaskExecutor } from './worker/workflow-task.executor.js';
import { ConfigurableWorkflowsModule, WORKFLOWS_MODULE_OPTIONS } from './workflows.module-definition.js';
import { RESOLVED_WORKFLOWS_OPTIONS } from './workflows.constants.js';

/**
 * Durable workflows for a Nest app. Import it once with `forRoot()` (or `forRootAsync()`):
 * it discovers `@Workflow()` classes and `@Activity()` methods, registers them with the
 * platform, and runs them; `WorkflowsClient` is injectable everywhere.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: RESOLVED_WORKFLOWS_OPTIONS,
      inject: [WORKFLOWS_MODULE_OPTIONS],
      useFactory: (raw: WorkflowsModuleOptions) => resolveWorkflowsOptions(raw, process.env),
    },
    {
      provide: PlatformConnection,
      inject: [RESOLVED_WORKFLOWS_OPTIONS],
      useFactory: PlatformConnection.open,
    },
    {
      provide: WorkflowsClient,
      inject: [PlatformConnection],
      useFactory: (connection: PlatformConnection) => new WorkflowsClient(connection.transport),
    },
    activityContextProvider,
    workflowContextProvider,
    WorkflowRegistry,
    WorkflowsExplorer,
    WorkflowTaskExecutor,
    ActivityTaskExecutor,
    WorkerService,
  ],
  exports: [WorkflowsClient, ActivityContext, WorkflowContext, RESOLVED_WORKFLOWS_OPTIONS],
})
export class WorkflowsModule extends ConfigurableWorkflowsModule {}
