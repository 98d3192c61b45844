import { Injectable } from '@nestjs/common';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import formatsModule from 'ajv-formats';
import type { JsonSchema } from '#workflows/protocol';

type FormatsPlugin = typeof formatsModule.default;
// ajv-formats is CommonJS: its default export is the plugin itself, or under `default` depending on the loader.
const addFormats: FormatsPlugin = (formatsModule as unknown as { default?: FormatsPlugin }).default ?? (formatsModule as unknown as FormatsPlugin);

/** Compiled schemas kept, least recently used dropped first. */
const MAX_CACHED_SCHEMAS = 500;
/** Problems one answer lists at most. */
const MAX_LISTED_PROBLEMS = 5;

/**
 * Compiles JSON Schemas (draft 2020-12, with the standard formats; unknown keywords allowed)
 * and checks values against them. Each schema gets its own Ajv instance, so that an `$id` one
 * namespace registered can never be resolved from another's schema, and dropping a schema from
 * the bounded cache frees everything it compiled. Compiled validators are kept by schema text.
 */
@Injectable()
export class JsonSchemaCompiler {
  private readonly cache = new Map<string, ValidateFunction>();

  /** Why `schema` is not a usable schema, or `null` when it compiles. */
  schemaProblem(schema: JsonSchema): string | null {
    try {
      this.compile(schema);
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /**
   * What is wrong with `value` under `schema`, each problem naming its place from `root` (as
   * `input.customer.email: must match format "email"`); empty when it is valid. A schema that
   * does not compile is reported as one problem.
   */
  problems(schema: JsonSchema, value: unknown, root: string): string[] {
    let validate: ValidateFunction;
    try {
      validate = this.compile(schema);
    } catch (error) {
      return [`${root}: cannot be checked, its registered schema is invalid (${error instanceof Error ? error.message : String(error)})`];
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map((error) => describe(error, root));
  }

  /** The problems as one message: the first few, and how many more there are. */
  static summary(problems: readonly string[]): string {
    const listed = problems.slice(0, MAX_LISTED_PROBLEMS).join('; ');
    const more = problems.length - MAX_LISTED_PROBLEMS;
    return more > 0 ? `${listed} (and ${more} more)` : listed;
  }

  /** How many compiled schemas are kept, for the tests. */
  cachedCount(): number {
    return this.cache.size;
  }

  private compile(schema: JsonSchema): ValidateFunction {
    const text = JSON.stringify(schema);
    const cached = this.cache.get(text);
    if (cached) {
      // Re-inserted: the Map's order is the least recently used first.
      this.cache.delete(text);
      this.cache.set(text, cached);
      return cached;
    }
    const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    this.cache.set(text, validate);
    if (this.cache.size > MAX_CACHED_SCHEMAS) this.cache.delete(this.cache.keys().next().value!);
    return validate;
  }
}

/** One Ajv error as `<path>: <problem>`, naming the missing or unexpected property itself. */
function describe(error: ErrorObject, root: string): string {
  const path = root + pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params['missingProperty'] === 'string') {
    return `${path}${propertySegment(params['missingProperty'])}: is required`;
  }
  if (error.keyword === 'additionalProperties' && typeof params['additionalProperty'] === 'string') {
    return `${path}${propertySegment(params['additionalProperty'])}: is not allowed`;
  }
  return `${path}: ${error.message ?? `fails ${error.keyword}`}`;
}

/** `/customer/items/0` as `.customer.items[0]`. */
function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? `[${segment}]` : propertySegment(segment)))
    .join('');
}

function propertySegment(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}
