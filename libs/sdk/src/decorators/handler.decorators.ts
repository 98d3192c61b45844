import type { ZodType } from 'zod';
import { WORKFLOW_HANDLERS_METADATA } from '../workflows.constants.js';

/** The kinds of message a running workflow handles. */
export type HandlerKind = 'signal' | 'query' | 'update';

/** Options of {@link Signal}, {@link Query} and {@link Update}. */
export interface HandlerOptions {
  /** The name callers use. @default the method name */
  name?: string;
  /**
   * A zod schema of the handler's input. It is sent to the platform as JSON Schema when the
   * worker registers, and the platform refuses a payload that does not match (422, naming the
   * field) before anything is recorded. Without one, any JSON is accepted.
   */
  input?: ZodType;
}

/** One decorated handler method, as recorded on the workflow class. */
export interface HandlerMetadata {
  kind: HandlerKind;
  propertyKey: string | symbol;
  options: HandlerOptions;
}

function handler(kind: HandlerKind, options: HandlerOptions): MethodDecorator {
  return (target, propertyKey) => {
    const existing: HandlerMetadata[] = Reflect.getMetadata(WORKFLOW_HANDLERS_METADATA, target.constructor) ?? [];
    Reflect.defineMetadata(WORKFLOW_HANDLERS_METADATA, [...existing, { kind, propertyKey, options }], target.constructor);
  };
}

/**
 * Marks a workflow method as a signal handler: `handle.signal(name, input)` records the signal in
 * history and the method is called with `input`, in history order, on every replay. It changes
 * the workflow's fields; its return value is ignored. Throwing from it fails the workflow.
 */
export function Signal(options: HandlerOptions = {}): MethodDecorator {
  return handler('signal', options);
}

/**
 * Marks a workflow method as a query handler: `handle.query(name, input)` returns its result,
 * computed from the workflow's fields. Nothing is recorded; it must not change state or call
 * activities, timers or conditions.
 */
export function Query(options: HandlerOptions = {}): MethodDecorator {
  return handler('query', options);
}

/**
 * Marks a workflow method as an update handler: `handle.update(name, input)` records the update,
 * runs the method (it may change state, call activities and wait) and returns its result to the
 * caller. A throw is returned to the caller as a failure; the workflow carries on.
 */
export function Update(options: HandlerOptions = {}): MethodDecorator {
  return handler('update', options);
}
