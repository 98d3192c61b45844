import { Injectable, Scope, SetMetadata, applyDecorators, type Type } from '@nestjs/common';
import type { ZodType } from 'zod';
import { WORKFLOW_METADATA } from '../workflows.constants.js';
import { callerModuleUrl, recordWorkflowClass } from './workflow-source.js';

/** Options of {@link Workflow}. */
export interface WorkflowOptions {
  /** The name executions are started by. @default the class name */
  name?: string;
  /**
   * A zod schema of the execution's input: sent to the platform as JSON Schema at registration;
   * a start whose input does not match is refused (422, naming the field) before anything is
   * recorded. Without one, any JSON is accepted.
   */
  input?: ZodType;
}

/**
 * Marks a class as a workflow: deterministic orchestration with one `@Run()` method. One
 * instance is made per execution; its constructor receives `WorkflowContext` and typed proxies
 * of activity providers. List the class in a module's `providers`: Nest never instantiates it
 * (it is scoped to an execution), the worker does.
 */
export function Workflow(options: WorkflowOptions = {}): ClassDecorator {
  // Where the class is defined: a workflow thread imports that module to run the class there.
  const moduleUrl = callerModuleUrl(import.meta.url);
  const record: ClassDecorator = (target) => recordWorkflowClass(target as unknown as Type, options.name ?? target.name, moduleUrl);
  return applyDecorators(SetMetadata(WORKFLOW_METADATA, options), Injectable({ scope: Scope.REQUEST }), record);
}
