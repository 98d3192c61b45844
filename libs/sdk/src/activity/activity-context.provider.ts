import { Scope, type FactoryProvider } from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import { ActivityContext } from './activity-context.js';

/**
 * Makes `ActivityContext` injectable: the activity executor registers the attempt's context as
 * the "request" of a DI scope made for the task, and this factory hands it out.
 */
export const activityContextProvider: FactoryProvider<ActivityContext> = {
  provide: ActivityContext,
  scope: Scope.REQUEST,
  inject: [REQUEST],
  useFactory: (request: unknown) => {
    if (request instanceof ActivityContext) return request;
    throw new Error('ActivityContext can be injected only into activity providers, while an activity task runs');
  },
};
