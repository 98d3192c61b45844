import { Scope, type FactoryProvider } from '@nestjs/common';
import { WorkflowContext } from './workflow-context.js';

/**
 * Lets Nest check the dependencies of `@Workflow()` classes, which inject `WorkflowContext`.
 * Workflow instances are made by the worker, one per execution, never by Nest; this factory
 * runs only if something else asks for the context.
 */
export const workflowContextProvider: FactoryProvider<WorkflowContext> = {
  provide: WorkflowContext,
  scope: Scope.REQUEST,
  useFactory: () => {
    throw new Error('WorkflowContext can be injected only into @Workflow() classes');
  },
};
