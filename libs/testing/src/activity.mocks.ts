import type { Provider, Type } from '@nestjs/common';
import { ACTIVITY_METADATA, ApplicationFailure, WorkflowContext, type ActivityOptions } from '#workflows/sdk';

/**
 * Stand-ins for activities, by activity name (the `@Activity({ name })`, else the method name):
 * each is called with the activity's arguments instead of the real method, and what it returns
 * (or throws) is the activity's outcome, recorded and retried like the real one's.
 */
export type ActivityMocks = Record<string, (...args: any[]) => unknown>;

/** An activity method of a provider class. */
interface ActivityMethod {
  methodName: string;
  activityName: string;
}

/**
 * The providers that run the activities: each class of `activities` as it is, except a class
 * with a mocked activity, which is served by a generated class (`{ provide: Billing, useClass }`)
 * whose mocked methods call the mocks. A class listed in `activities` keeps its other methods
 * (the generated class extends it, with its dependencies); a class only injected into a
 * workflow gets methods that fail, non-retryable, when an activity of it is not mocked. Throws
 * when a mock names no activity of these classes.
 */
export function activityProviders(workflows: Type[], activities: Type[], mocks: ActivityMocks = {}): Provider[] {
  const classes = new Set<Type>(activities);
  for (const workflow of workflows) {
    const params: unknown[] = Reflect.getMetadata('design:paramtypes', workflow) ?? [];
    for (const param of params) {
      if (typeof param === 'function' && param !== WorkflowContext && activityMethodsOf(param as Type).length > 0) classes.add(param as Type);
    }
  }
  const known = new Set<string>();
  const providers: Provider[] = [];
  for (const type of classes) {
    const methods = activityMethodsOf(type);
    for (const method of methods) known.add(method.activityName);
    const mocked = methods.filter((method) => Object.hasOwn(mocks, method.activityName));
    if (mocked.length > 0) providers.push({ provide: type, useClass: mockClassOf(type, methods, mocks, activities.includes(type)) });
    else if (activities.includes(type)) providers.push(type);
  }
  const unknown = Object.keys(mocks).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new Error(
      `activityMocks name no activity of the workflows or activities given: ${unknown.map((name) => `'${name}'`).join(', ')} ` +
        `(known: ${[...known].sort().join(', ') || 'none'})`,
    );
  }
  return providers;
}

function mockClassOf(type: Type, methods: ActivityMethod[], mocks: ActivityMocks, keepReal: boolean): Type {
  // Extending keeps the real class's constructor parameters and scope, so that Nest builds it as before.
  const base: Type = keepReal ? type : class {};
  const mock = { [`Mocked${type.name}`]: class extends base {} }[`Mocked${type.name}`]!;
  for (const { methodName, activityName } of methods) {
    const stand = mocks[activityName];
    let method: ((...args: unknown[]) => unknown) | undefined;
    if (stand) method = (...args: unknown[]) => stand(...args);
    else if (!keepReal) {
      method = () => {
        throw ApplicationFailure.nonRetryable(
          `Activity '${activityName}' (${type.name}.${methodName}) has no mock: add it to activityMocks, or list ${type.name} in activities`,
          'ActivityNotMocked',
        );
      };
    }
    if (method) Object.defineProperty(mock.prototype, methodName, { value: method, writable: true, configurable: true });
  }
  return mock;
}

/** The `@Activity()` methods of a class (its base classes' included). */
function activityMethodsOf(type: Type): ActivityMethod[] {
  const methods: ActivityMethod[] = [];
  const seen = new Set<string>();
  for (let proto = type.prototype as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const methodName of Object.getOwnPropertyNames(proto)) {
      if (methodName === 'constructor' || seen.has(methodName)) continue;
      seen.add(methodName);
      const value = Object.getOwnPropertyDescriptor(proto, methodName)?.value;
      const options = typeof value === 'function' ? (Reflect.getMetadata(ACTIVITY_METADATA, value) as ActivityOptions | undefined) : undefined;
      if (options) methods.push({ methodName, activityName: options.name ?? methodName });
    }
  }
  return methods;
}
