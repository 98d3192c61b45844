import { WORKFLOW_RUN_METADATA } from '../workflows.constants.js';

/** Marks a workflow's entry method: it receives the execution's input and returns its result. */
export function Run(): MethodDecorator {
  return (target, propertyKey) => {
    const existing: (string | symbol)[] = Reflect.getMetadata(WORKFLOW_RUN_METADATA, target.constructor) ?? [];
    Reflect.defineMetadata(WORKFLOW_RUN_METADATA, [...existing, propertyKey], target.constructor);
  };
}
