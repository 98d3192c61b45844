import { Inject, Logger, Module, type DynamicModule, type LoggerService, type OnApplicationShutdown } from '@nestjs/common';
import { ApiExceptionFilter } from './api/api-exception.filter.js';
import { ApiKeyGuard } from './api/api-key.guard.js';
import { ExecutionsController } from './api/executions.controller.js';
import { HistoryStreamController } from './api/history-stream.controller.js';
import { InteractionsController } from './api/interactions.controller.js';
import { TasksController } from './api/tasks.controller.js';
import { WorkersController } from './api/workers.controller.js';
import { WorkflowsController } from './api/workflows.controller.js';
import { ApiKeysService } from './auth/api-keys.service.js';
import { ChildWorkflowStarts } from './executions/child-workflow.starts.js';
import { ExecutionsService } from './executions/executions.service.js';
import { HistoryStreamService } from './executions/history-stream.service.js';
import { ExecutionActionsService } from './interactions/execution-actions.service.js';
import { QueriesService } from './interactions/queries.service.js';
import { UpdatesService } from './interactions/updates.service.js';
import { ExecutionWaiters } from './matching/execution.waiters.js';
import { TaskMatcher } from './matching/task.matcher.js';
import { TransitionPublisher } from './matching/transition.publisher.js';
import type { ResolvedPlatformOptions } from './options/platform.options.js';
import { CLOCK, PLATFORM_LOGGER, PLATFORM_OPTIONS, STORE } from './platform.constants.js';
import { openStore } from './store/store.factory.js';
import type { Store } from './store/store.interface.js';
import { TasksService } from './tasks/tasks.service.js';
import { JsonSchemaCompiler } from './validation/json-schema.compiler.js';
import { PayloadValidator } from './validation/payload.validator.js';
import { SweepAlarm } from './workers/sweep.alarm.js';
import { TimeoutsSweeper } from './workers/timeouts.sweeper.js';
import { WorkerSessionsService } from './workers/worker-sessions.service.js';

/**
 * The platform: its REST API under `/v1/workflows`, long-poll matching, waits on executions
 * (results, updates, queries, live streams), payload validation and the store.
 * The store is opened (and migrated) when the module is created and closed after the HTTP
 * server has stopped, so that no request outlives it.
 */
@Module({})
export class PlatformModule implements OnApplicationShutdown {
  constructor(@Inject(STORE) private readonly store: Store) {}

  /**
   * The module for resolved options (see `applyPlatformDefaults`). The store the options select
   * is opened here, unless an already opened `store` is given (the module closes it either way).
   */
  static forRoot(options: ResolvedPlatformOptions, store?: Store): DynamicModule {
    return {
      module: PlatformModule,
      controllers: [WorkflowsController, ExecutionsController, InteractionsController, HistoryStreamController, WorkersController, TasksController],
      providers: [
        { provide: PLATFORM_OPTIONS, useValue: options },
        { provide: CLOCK, useValue: options.clock },
        { provide: PLATFORM_LOGGER, useValue: platformLogger(options) },
        store
          ? { provide: STORE, useValue: store }
          : {
              provide: STORE,
              useFactory: (logger: LoggerService | null): Promise<Store> => openStore(options, logger),
              inject: [PLATFORM_LOGGER],
            },
        ApiKeysService,
        WorkerSessionsService,
        TimeoutsSweeper,
        SweepAlarm,
        TaskMatcher,
        ExecutionWaiters,
        TransitionPublisher,
        JsonSchemaCompiler,
        PayloadValidator,
        ChildWorkflowStarts,
        ExecutionsService,
        HistoryStreamService,
        ExecutionActionsService,
        QueriesService,
        UpdatesService,
        TasksService,
        ApiKeyGuard,
        ApiExceptionFilter,
      ],
      exports: [STORE, TaskMatcher, ExecutionWaiters],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/** The logger the platform writes its own lines to, or `null` when `logger` is `false`. */
export function platformLogger(options: Pick<ResolvedPlatformOptions, 'logger'>): LoggerService | null {
  return options.logger === false ? null : (options.logger ?? new Logger('WorkflowsPlatform'));
}
