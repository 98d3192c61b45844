import type { Type } from '@nestjs/common';
import type { ActivityOptions } from '../decorators/activity.decorator.js';
import type { WorkflowRegistry } from '../discovery/workflow-registry.js';
import { resolveActivityOptions } from '../options/retry-policy.js';

/** What an activity proxy schedules its calls on. */
export interface ActivityScheduler {
  scheduleActivity(name: string, args: unknown[], options: ReturnType<typeof resolveActivityOptions>): Promise<unknown>;
}

interface ProxyTarget {
  scheduler: ActivityScheduler;
  provider: Type;
  registry: WorkflowRegistry;
  override: ActivityOptions;
}

const targets = new WeakMap<object, ProxyTarget>();

/**
 * A stand-in for an activity provider inside a workflow: each `@Activity()` method schedules
 * that activity and resolves with its recorded result. Anything else on it is an error.
 */
export function createActivityProxy<T extends object>(
  scheduler: ActivityScheduler,
  provider: Type<T>,
  registry: WorkflowRegistry,
  override: ActivityOptions = {},
): T {
  const target: ProxyTarget = { scheduler, provider, registry, override };
  const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  const proxy = new Proxy(Object.create(null) as object, {
    get(_, property) {
      // Promise resolution and inspection probe these; the proxy is not a thenable.
      if (typeof property === 'symbol' || property === 'then' || property === 'toJSON') return undefined;
      let method = methods.get(property);
      if (method) return method;
      const definition = registry.activityOf(provider, property);
      if (!definition) {
        throw new TypeError(
          `${provider.name}.${property} is not an @Activity() method; a workflow reaches an activity provider only through its @Activity() methods`,
        );
      }
      const options = resolveActivityOptions(definition.options, target.override);
      method = (...args: unknown[]) => scheduler.scheduleActivity(definition.name, args, options);
      methods.set(property, method);
      return method;
    },
    set() {
      throw new TypeError(`${provider.name} is an activity proxy inside a workflow; it has no state to set`);
    },
  }) as T;
  targets.set(proxy, target);
  return proxy;
}

/**
 * The same activity proxy with per-call options that override the decorator's:
 * `await withOptions(this.billing, { startToCloseTimeout: '1m' }).charge(order)`.
 */
export function withOptions<T extends object>(activities: T, options: ActivityOptions): T {
  const target = targets.get(activities);
  if (!target) throw new TypeError('withOptions() takes an activity provider injected into a @Workflow() class');
  const merged: ActivityOptions = {
    ...target.override,
    ...options,
    retry: { ...target.override.retry, ...options.retry },
  };
  return createActivityProxy(target.scheduler, target.provider as Type<T>, target.registry, merged);
}
