import { Injectable, Scope, type Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { idProblem } from '#workflows/protocol';
import type { ActivityOptions } from '../decorators/activity.decorator.js';
import type { WorkflowOptions } from '../decorators/workflow.decorator.js';
import { resolveActivityOptions } from '../options/retry-policy.js';
import { WorkflowContext } from '../runtime/workflow-context.js';
import { ACTIVITY_METADATA, WORKFLOW_METADATA, WORKFLOW_RUN_METADATA } from '../workflows.constants.js';
import type { WorkflowParam } from './workflow-registry.js';
import { WorkflowRegistry } from './workflow-registry.js';
import { WorkflowsDiscoveryError } from './workflows-discovery.error.js';

type InstanceWrapper = ReturnType<DiscoveryService['getProviders']>[number];

/**
 * Finds every `@Workflow()` class and `@Activity()` method among the app's providers, checks
 * them, and fills the {@link WorkflowRegistry}. Every problem is reported in one error.
 */
@Injectable()
export class WorkflowsExplorer {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  /** Scans the providers and returns the filled registry; throws {@link WorkflowsDiscoveryError}. */
  explore(registry: WorkflowRegistry): WorkflowRegistry {
    const problems: string[] = [];
    const wrappers = this.uniqueClassWrappers();
    const workflowClasses: Type[] = [];

    for (const wrapper of wrappers) {
      const type = wrapper.metatype as Type;
      if (this.reflector.get<WorkflowOptions>(WORKFLOW_METADATA, type)) workflowClasses.push(type);
      else this.exploreActivities(wrapper, registry, problems);
    }
    for (const type of workflowClasses) this.exploreWorkflow(type, registry, problems);

    if (problems.length > 0) throw new WorkflowsDiscoveryError(problems);
    return registry;
  }

  private uniqueClassWrappers(): InstanceWrapper[] {
    const seen = new Set<unknown>();
    const result: InstanceWrapper[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const type = wrapper.metatype;
      if (!type || wrapper.inject || typeof type !== 'function' || !type.prototype || seen.has(type)) continue;
      seen.add(type);
      result.push(wrapper);
    }
    return result;
  }

  private exploreActivities(wrapper: InstanceWrapper, registry: WorkflowRegistry, problems: string[]): void {
    const type = wrapper.metatype as Type;
    for (const methodName of this.scanner.getAllMethodNames(type.prototype)) {
      const options = this.reflector.get<ActivityOptions | undefined>(ACTIVITY_METADATA, type.prototype[methodName]);
      if (!options) continue;
      const name = options.name ?? methodName;
      const where = `activity ${type.name}.${methodName}`;
      const nameProblem = idProblem(name);
      if (nameProblem) problems.push(`${where}: name ${nameProblem}`);
      const existing = registry.activities.get(name);
      if (existing) {
        problems.push(
          `duplicate activity name '${name}': ${existing.provider.name}.${existing.methodName} and ${type.name}.${methodName} (set @Activity({ name }) on one)`,
        );
        continue;
      }
      try {
        resolveActivityOptions(options);
      } catch (error) {
        problems.push(`${where}: ${(error as Error).message}`);
      }
      registry.addActivity({ name, provider: type, methodName, options, isStatic: wrapper.isDependencyTreeStatic() });
    }
  }

  private exploreWorkflow(type: Type, registry: WorkflowRegistry, problems: string[]): void {
    const options = this.reflector.get<WorkflowOptions>(WORKFLOW_METADATA, type);
    const name = options.name ?? type.name;
    const where = `workflow ${type.name}`;
    const nameProblem = idProblem(name);
    if (nameProblem) problems.push(`${where}: name ${nameProblem}`);
    const existing = registry.workflows.get(name);
    if (existing) {
      problems.push(`duplicate workflow name '${name}': ${existing.metatype.name} and ${type.name} (set @Workflow({ name }) on one)`);
      return;
    }
    const runMethods: (string | symbol)[] = Reflect.getMetadata(WORKFLOW_RUN_METADATA, type) ?? [];
    if (runMethods.length === 0) problems.push(`${where} has no @Run() method`);
    if (runMethods.length > 1) problems.push(`${where} has ${runMethods.length} @Run() methods (${runMethods.map(String).join(', ')}); it needs exactly one`);
    const declaredScope = Reflect.getMetadata('scope:options', type) as { scope?: Scope } | undefined;
    if (declaredScope?.scope !== undefined && declaredScope.scope !== Scope.REQUEST) {
      problems.push(`${where} must not set an injection scope: the worker makes one instance per execution`);
    }

    const paramTypes: unknown[] = Reflect.getMetadata('design:paramtypes', type) ?? [];
    const params: WorkflowParam[] = [];
    paramTypes.forEach((paramType, index) => {
      if (paramType === WorkflowContext) params.push({ kind: 'context' });
      else if (registry.isActivityProvider(paramType)) params.push({ kind: 'activities', provider: paramType });
      else {
        const label = typeof paramType === 'function' ? paramType.name : String(paramType);
        problems.push(
          `${where} constructor parameter #${index} (${label}) is neither WorkflowContext nor a provider with @Activity() methods; ` +
            'workflows reach the outside world only through activities',
        );
      }
    });
    if (runMethods.length === 1) registry.addWorkflow({ name, metatype: type, runMethod: runMethods[0]!, params });
  }
}
