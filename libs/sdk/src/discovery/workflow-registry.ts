import type { Type } from '@nestjs/common';
import type { JsonSchema, WorkflowRegistrationWire } from '#workflows/protocol';
import type { ActivityOptions } from '../decorators/activity.decorator.js';
import type { HandlerKind } from '../decorators/handler.decorators.js';

/** How one constructor parameter of a workflow class is supplied. */
export type WorkflowParam = { kind: 'context' } | { kind: 'activities'; provider: Type };

/** A discovered `@Signal()`, `@Query()` or `@Update()` method. */
export interface HandlerDefinition {
  name: string;
  method: string | symbol;
  /** Its input's JSON Schema, from the zod schema it declared; `null` accepts any JSON. */
  inputSchema: JsonSchema | null;
}

/** A discovered `@Workflow()` class. */
export interface WorkflowDefinition {
  name: string;
  metatype: Type;
  runMethod: string | symbol;
  params: WorkflowParam[];
  /** The input's JSON Schema; `null` accepts any JSON. */
  inputSchema: JsonSchema | null;
  /** Its handlers by kind, then by name. */
  handlers: Record<HandlerKind, Map<string, HandlerDefinition>>;
}

/** A workflow without handlers. */
export function noHandlers(): WorkflowDefinition['handlers'] {
  return { signal: new Map(), query: new Map(), update: new Map() };
}

/** A workflow as the worker registers it with the platform: its schemas and handler names. */
export function toRegistrationWire(definition: WorkflowDefinition): WorkflowRegistrationWire {
  const handlers = (kind: HandlerKind) =>
    [...definition.handlers[kind].values()].map((handler) => ({ name: handler.name, input_schema: handler.inputSchema }));
  return {
    name: definition.name,
    input_schema: definition.inputSchema,
    signals: handlers('signal'),
    queries: handlers('query'),
    updates: handlers('update'),
  };
}

/** A discovered `@Activity()` method. */
export interface ActivityDefinition {
  name: string;
  provider: Type;
  methodName: string;
  options: ActivityOptions;
  /** True when the provider's dependency tree is static: one instance serves every task. */
  isStatic: boolean;
}

/** The workflows and activities this worker runs, filled once by discovery at module init. */
export class WorkflowRegistry {
  readonly workflows = new Map<string, WorkflowDefinition>();
  readonly activities = new Map<string, ActivityDefinition>();
  private readonly byProvider = new Map<Type, Map<string, ActivityDefinition>>();

  /** Adds a discovered workflow. */
  addWorkflow(definition: WorkflowDefinition): void {
    this.workflows.set(definition.name, definition);
  }

  /** Adds a discovered activity. */
  addActivity(definition: ActivityDefinition): void {
    this.activities.set(definition.name, definition);
    let methods = this.byProvider.get(definition.provider);
    if (!methods) this.byProvider.set(definition.provider, (methods = new Map()));
    methods.set(definition.methodName, definition);
  }

  /** The activity behind `provider.methodName`, if that method is an `@Activity()`. */
  activityOf(provider: Type, methodName: string): ActivityDefinition | undefined {
    return this.byProvider.get(provider)?.get(methodName);
  }

  /** Whether `type` is a provider with `@Activity()` methods. */
  isActivityProvider(type: unknown): type is Type {
    return this.byProvider.has(type as Type);
  }
}
