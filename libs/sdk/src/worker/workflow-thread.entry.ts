/**
 * A workflow thread: imports the modules that define the worker's workflows, rebuilds their
 * registry from the classes (as discovery does from Nest's providers) and runs workflow and query
 * tasks one at a time with a sticky cache of its own. The main thread terminates it when its code
 * stops yielding (see `WorkflowThreads`).
 */
import 'reflect-metadata';
import type { Type } from '@nestjs/common';
import { parentPort, workerData } from 'node:worker_threads';
import { definedWorkflowClass } from '../decorators/workflow-source.js';
import { addActivityProvider, addWorkflowClass } from '../discovery/registry.builder.js';
import { WorkflowRegistry } from '../discovery/workflow-registry.js';
import { toFailure } from '../errors/failure.converter.js';
import { WorkflowContext } from '../runtime/workflow-context.js';
import type { FromWorkflowThread, ToWorkflowThread, WorkflowThreadData } from './workflow-thread.messages.js';
import { WorkflowTaskExecutor } from './workflow-task.executor.js';

const data = workerData as WorkflowThreadData;
const port = parentPort!;
const progress = new Int32Array(data.progress);
const send = (message: FromWorkflowThread): void => port.postMessage(message);

/** The executor over a registry rebuilt from the workflow classes; throws a sentence per problem. */
async function load(): Promise<WorkflowTaskExecutor> {
  for (const moduleUrl of new Set(data.workflows.map((workflow) => workflow.moduleUrl))) await import(moduleUrl);
  const problems: string[] = [];
  const classes: Type[] = [];
  for (const { name, moduleUrl } of data.workflows) {
    const type = definedWorkflowClass(name, moduleUrl);
    if (type) classes.push(type);
    else problems.push(`importing ${moduleUrl} defined no @Workflow() class named '${name}'`);
  }
  const registry = new WorkflowRegistry();
  // The activity providers a workflow uses are its constructor's parameter types.
  const providers = new Set<Type>();
  for (const type of classes) {
    const paramTypes: unknown[] = Reflect.getMetadata('design:paramtypes', type) ?? [];
    for (const paramType of paramTypes) if (typeof paramType === 'function' && paramType !== WorkflowContext) providers.add(paramType as Type);
  }
  for (const provider of providers) addActivityProvider(registry, provider, true, problems);
  for (const type of classes) addWorkflowClass(registry, type, problems);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return new WorkflowTaskExecutor(registry, { maxCachedWorkflows: data.maxCachedWorkflows });
}

/** Bumps the progress counter at every turn of the event loop until `stop()`: a turn is a yield of workflow code. */
function countTurns(): { stop(): void } {
  let running = true;
  const turn = (): void => {
    Atomics.add(progress, 0, 1);
    if (running) setImmediate(turn);
  };
  turn();
  return { stop: () => (running = false) };
}

async function run(executor: WorkflowTaskExecutor, message: ToWorkflowThread): Promise<void> {
  const turns = countTurns();
  try {
    const outcome =
      message.kind === 'workflow'
        ? await executor.execute(message.task)
        : message.kind === 'local'
          ? await executor.resumeLocal(message.task, message.outcomes)
          : await executor.executeQuery(message.task);
    try {
      send({ kind: 'outcome', id: message.id, outcome });
    } catch (error) {
      send({ kind: 'outcome', id: message.id, outcome: { failure: toFailure(error) } });
    }
  } finally {
    turns.stop();
  }
}

try {
  const executor = await load();
  port.on('message', (message: ToWorkflowThread) => void run(executor, message));
  send({ kind: 'ready' });
} catch (error) {
  send({ kind: 'failed', reason: (error as Error)?.message ?? String(error) });
}
