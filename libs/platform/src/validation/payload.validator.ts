import { Inject, Injectable } from '@nestjs/common';
import { ErrorCode, type Clock, type HandlerRegistrationWire, type JsonSchema, type WorkflowRegistrationWire } from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';
import { CLOCK, STORE } from '../platform.constants.js';
import type { ExecutionRecord, Store, WorkflowRegistration } from '../store/store.interface.js';
import { JsonSchemaCompiler } from './json-schema.compiler.js';

/** The kinds of handler a workflow defines. */
export type HandlerKind = 'signal' | 'query' | 'update';

const LIST_OF: Readonly<Record<HandlerKind, 'signals' | 'queries' | 'updates'>> = { signal: 'signals', query: 'queries', update: 'updates' };
const NOT_FOUND: Readonly<Record<HandlerKind, ErrorCode>> = {
  signal: ErrorCode.SignalNotFound,
  query: ErrorCode.QueryNotFound,
  update: ErrorCode.UpdateNotFound,
};
/** Handler names listed in a not-found message at most. */
const MAX_LISTED_NAMES = 20;

/**
 * Checks payloads against the JSON Schemas workers registered, before anything is recorded:
 * a start's input against the workflow's, a signal's, query's or update's input against its
 * handler's, and that the handler exists when the registration lists its handlers. No
 * registered definition, or no schema, accepts any JSON.
 */
@Injectable()
export class PayloadValidator {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly schemas: JsonSchemaCompiler,
  ) {}

  /** Checks a start's input against the workflow's registered `input_schema` (422 naming the field). */
  checkStartInput(workflow: WorkflowRegistration, input: unknown): void {
    this.check(workflow.definition?.input_schema, input, 'input');
  }

  /**
   * Checks a signal, query or update for an execution of `workflowName`: the handler must be
   * one its registration lists (404 `WF_<KIND>_NOT_FOUND` otherwise, also when no worker ever
   * registered the workflow), and the input must match its schema (422 naming the field).
   */
  async checkHandler(
    namespace: string,
    execution: Pick<ExecutionRecord, 'workflowName' | 'deploymentName'>,
    kind: HandlerKind,
    name: string,
    input: unknown,
  ): Promise<void> {
    const workflow = await this.store.getWorkflow(namespace, execution.workflowName, this.clock.now(), execution.deploymentName);
    if (!workflow) throw new PlatformError(NOT_FOUND[kind], `no ${kind} '${name}': no worker has registered workflow '${execution.workflowName}'`);
    this.checkRegisteredHandler(workflow, kind, name, input);
  }

  /** {@link PayloadValidator.checkHandler} for a registration already read. */
  checkRegisteredHandler(workflow: WorkflowRegistration, kind: HandlerKind, name: string, input: unknown, root = 'input'): void {
    const handlers = workflow.definition?.[LIST_OF[kind]];
    if (!Array.isArray(handlers)) return;
    const handler = handlers.find((candidate) => candidate.name === name);
    if (!handler) throw new PlatformError(NOT_FOUND[kind], `workflow '${workflow.name}' has no ${kind} '${name}' (${describeNames(kind, handlers)})`);
    this.check(handler.input_schema, input, root);
  }

  /**
   * Checks the definitions of a registration: every schema compiles, and no handler name repeats
   * within one kind. Throws one 422 naming the first problem's path
   * (`workflows[0].signals[1].input_schema: …`).
   */
  checkDefinitions(workflows: readonly WorkflowRegistrationWire[], path = 'workflows'): void {
    workflows.forEach((workflow, index) => {
      const at = `${path}[${index}]`;
      this.checkSchema(workflow.input_schema, `${at}.input_schema`);
      for (const list of ['signals', 'queries', 'updates'] as const) {
        const seen = new Set<string>();
        (workflow[list] ?? []).forEach((handler: HandlerRegistrationWire, position) => {
          if (seen.has(handler.name)) {
            throw new PlatformError(ErrorCode.RequestInvalid, `${at}.${list}[${position}].name: '${handler.name}' is defined twice in ${list}`);
          }
          seen.add(handler.name);
          this.checkSchema(handler.input_schema, `${at}.${list}[${position}].input_schema`);
        });
      }
    });
  }

  private checkSchema(schema: JsonSchema | null | undefined, path: string): void {
    if (schema === undefined || schema === null) return;
    const problem = this.schemas.schemaProblem(schema);
    if (problem) throw new PlatformError(ErrorCode.RequestInvalid, `${path}: is not a valid JSON Schema (draft 2020-12): ${problem}`);
  }

  private check(schema: JsonSchema | null | undefined, value: unknown, root: string): void {
    if (schema === undefined || schema === null) return;
    const problems = this.schemas.problems(schema, value, root);
    if (problems.length > 0) throw new PlatformError(ErrorCode.RequestInvalid, JsonSchemaCompiler.summary(problems));
  }
}

function describeNames(kind: HandlerKind, handlers: readonly HandlerRegistrationWire[]): string {
  if (handlers.length === 0) return `it defines no ${LIST_OF[kind]}`;
  const names = handlers.slice(0, MAX_LISTED_NAMES).map((handler) => `'${handler.name}'`);
  const more = handlers.length > MAX_LISTED_NAMES ? `, and ${handlers.length - MAX_LISTED_NAMES} more` : '';
  return `its ${LIST_OF[kind]}: ${names.join(', ')}${more}`;
}
