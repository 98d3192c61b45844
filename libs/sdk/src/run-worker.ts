import { Module, type INestApplicationContext, type Provider, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { WorkflowsModuleOptions } from './options/workflows-options.js';
import { WorkflowsModule } from './workflows.module.js';

/** Options of {@link runWorker}. */
export interface RunWorkerOptions extends WorkflowsModuleOptions {
  /** Providers with `@Activity()` methods. */
  activities?: Type[];
  /** Other providers the activities inject. */
  providers?: Provider[];
}

/** A worker started by {@link runWorker}. */
export interface RunningWorker {
  app: INestApplicationContext;
  /** Resolves once the worker has stopped (after SIGINT/SIGTERM or `stop()`). */
  stopped: Promise<void>;
  /** Drains and stops the worker. */
  stop(): Promise<void>;
}

/**
 * Starts a worker without writing a module, for scripts: it runs until SIGINT/SIGTERM, then
 * drains gracefully. `await (await runWorker([OrderWorkflow], { activities: [Billing] })).stopped`.
 */
export async function runWorker(workflows: Type[], options: RunWorkerOptions = {}): Promise<RunningWorker> {
  const { activities = [], providers = [], ...moduleOptions } = options;

  @Module({
    imports: [WorkflowsModule.forRoot(moduleOptions)],
    providers: [...workflows, ...activities, ...providers],
  })
  class WorkerModule {}

  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: false });
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stopping ??= app.close().then(resolveStopped);
    return stopping;
  };
  const onSignal = (): void => void stop();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { app, stopped, stop };
}
