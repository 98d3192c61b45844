import { Scope, type Type } from '@nestjs/common';
import { toJSONSchema, type ZodType } from 'zod';
import { idProblem, type JsonSchema } from '#workflows/protocol';
import type { ActivityOptions } from '../decorators/activity.decorator.js';
import type { HandlerKind, HandlerMetadata } from '../decorators/handler.decorators.js';
import type { WorkflowOptions } from '../decorators/workflow.decorator.js';
import { resolveActivityOptions } from '../options/retry-policy.js';
import { WorkflowContext } from '../runtime/workflow-context.js';
import { ACTIVITY_METADATA, WORKFLOW_HANDLERS_METADATA, WORKFLOW_METADATA, WORKFLOW_RUN_METADATA } from '../workflows.constants.js';
import type { HandlerDefinition, WorkflowParam, WorkflowRegistry } from './workflow-registry.js';

/** The `@Workflow()` options of `type`, or undefined when it is not a workflow class. */
export function workflowOptionsOf(type: Type): WorkflowOptions | undefined {
  return Reflect.getMetadata(WORKFLOW_METADATA, type) as WorkflowOptions | undefined;
}

/** Adds the `@Activity()` methods of a provider class; pushes a sentence per problem. */
export function addActivityProvider(registry: WorkflowRegistry, type: Type, isStatic: boolean, problems: string[]): void {
  for (const methodName of methodNames(type.prototype)) {
    const options = Reflect.getMetadata(ACTIVITY_METADATA, type.prototype[methodName]) as ActivityOptions | undefined;
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
    registry.addActivity({ name, provider: type, methodName, options, isStatic });
  }
}

/** Adds a `@Workflow()` class; activity providers must be added first. Pushes a sentence per problem. */
export function addWorkflowClass(registry: WorkflowRegistry, type: Type, problems: string[]): void {
  const options = workflowOptionsOf(type) ?? {};
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
  if (runMethods.length > 1) {
    problems.push(`${where} has ${runMethods.length} @Run() methods (${runMethods.map(String).join(', ')}); it needs exactly one`);
  }
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
  const inputSchema = jsonSchemaOf(options.input, `${where} input schema`, problems);
  const handlers = handlersOf(type, where, problems);
  if (runMethods.length === 1) registry.addWorkflow({ name, metatype: type, runMethod: runMethods[0]!, params, inputSchema, handlers });
}

const HANDLER_DECORATOR: Readonly<Record<HandlerKind, string>> = { signal: '@Signal()', query: '@Query()', update: '@Update()' };

/** The `@Signal()`, `@Query()` and `@Update()` methods of a workflow class, by kind and name. */
function handlersOf(type: Type, where: string, problems: string[]): Record<HandlerKind, Map<string, HandlerDefinition>> {
  const handlers: Record<HandlerKind, Map<string, HandlerDefinition>> = { signal: new Map(), query: new Map(), update: new Map() };
  const declared: HandlerMetadata[] = Reflect.getMetadata(WORKFLOW_HANDLERS_METADATA, type) ?? [];
  for (const { kind, propertyKey, options } of declared) {
    const name = options.name ?? String(propertyKey);
    const label = `${where} ${HANDLER_DECORATOR[kind]} ${String(propertyKey)}`;
    const nameProblem = idProblem(name);
    if (nameProblem) problems.push(`${label}: name ${nameProblem}`);
    const existing = handlers[kind].get(name);
    if (existing) {
      problems.push(`${where} has two ${HANDLER_DECORATOR[kind]} handlers named '${name}' (${String(existing.method)} and ${String(propertyKey)})`);
      continue;
    }
    const inputSchema = jsonSchemaOf(options.input, `${label} input schema`, problems);
    handlers[kind].set(name, { name, method: propertyKey, inputSchema });
  }
  return handlers;
}

/** The JSON Schema of a zod schema's input, or `null` without one; a schema JSON Schema cannot express is a problem. */
function jsonSchemaOf(schema: ZodType | undefined, where: string, problems: string[]): JsonSchema | null {
  if (schema === undefined) return null;
  try {
    return toJSONSchema(schema, { io: 'input' }) as JsonSchema;
  } catch (error) {
    problems.push(`${where} cannot be expressed as JSON Schema: ${(error as Error).message}`);
    return null;
  }
}

function methodNames(prototype: object): string[] {
  const names = new Set<string>();
  for (let current = prototype; current && current !== Object.prototype; current = Object.getPrototypeOf(current)) {
    for (const name of Object.getOwnPropertyNames(current)) {
      if (name === 'constructor') continue;
      const descriptor = Object.getOwnPropertyDescriptor(current, name);
      if (descriptor && typeof descriptor.value === 'function') names.add(name);
    }
  }
  return [...names];
}
