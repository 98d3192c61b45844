import type { Type } from '@nestjs/common';
import type { WorkflowOptions } from '../decorators/workflow.decorator.js';
import { WORKFLOW_METADATA } from '../workflows.constants.js';

/** A workflow to start: its registered name, or its `@Workflow()` class. */
export type WorkflowReference = string | Type;

/** The registered name of a workflow reference; a `TypeError` for a class that is not a `@Workflow()`. */
export function workflowNameOf(workflow: WorkflowReference): string {
  if (typeof workflow === 'string') return workflow;
  const options = Reflect.getMetadata(WORKFLOW_METADATA, workflow) as WorkflowOptions | undefined;
  if (!options) throw new TypeError(`${workflow.name} is not a @Workflow() class`);
  return options.name ?? workflow.name;
}
