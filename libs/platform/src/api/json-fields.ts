import { ErrorCode, idProblem } from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';

/** Deepest nesting accepted in free-form JSON (inputs, results, details). */
const MAX_JSON_DEPTH = 64;

/** A `WF_REQUEST_INVALID` naming the field. */
export function invalid(path: string, problem: string): PlatformError {
  return new PlatformError(ErrorCode.RequestInvalid, `${path} ${problem}`);
}

/** The JSON type of a value, for messages. */
function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * The fields of one JSON object of a request, read with a check each: a wrong type, a missing
 * field or an unknown one is a `WF_REQUEST_INVALID` whose detail names the field by its path.
 * `null` counts as absent for optional fields.
 */
export class JsonFields {
  private constructor(
    private readonly value: Record<string, unknown>,
    private readonly prefix: string,
  ) {}

  /** Reads `value` as an object at `path` ('' for the body) allowing only `allowed` fields. */
  static of(value: unknown, path: string, allowed: readonly string[]): JsonFields {
    const name = path || 'the request body';
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(name, `must be a JSON object, got ${typeOf(value)}`);
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!allowed.includes(key)) throw invalid(path ? `${path}.${key}` : key, 'is not a known field');
    }
    return new JsonFields(record, path ? `${path}.` : '');
  }

  /** The path of a field, for messages. */
  path(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** Whether the field is present and not `null`. */
  has(name: string): boolean {
    return Object.hasOwn(this.value, name) && this.value[name] !== null && this.value[name] !== undefined;
  }

  /** The field's raw value. */
  raw(name: string): unknown {
    return Object.hasOwn(this.value, name) ? this.value[name] : undefined;
  }

  /** A required id or name (protocol `idProblem` rules). */
  id(name: string): string {
    this.require(name);
    const value = this.value[name];
    const problem = idProblem(value);
    if (problem) throw invalid(this.path(name), problem);
    return value as string;
  }

  /** An optional id or name. */
  optionalId(name: string): string | undefined {
    return this.has(name) ? this.id(name) : undefined;
  }

  /** A required string of at most `maxLength` characters. */
  string(name: string, maxLength: number): string {
    this.require(name);
    const value = this.value[name];
    if (typeof value !== 'string') throw invalid(this.path(name), `must be a string, got ${typeOf(value)}`);
    if (value.length > maxLength) throw invalid(this.path(name), `must be at most ${maxLength} characters (got ${value.length})`);
    return value;
  }

  /** An optional string. */
  optionalString(name: string, maxLength: number): string | undefined {
    return this.has(name) ? this.string(name, maxLength) : undefined;
  }

  /** An optional boolean. */
  optionalBoolean(name: string): boolean | undefined {
    if (!this.has(name)) return undefined;
    const value = this.value[name];
    if (typeof value !== 'boolean') throw invalid(this.path(name), `must be a boolean, got ${typeOf(value)}`);
    return value;
  }

  /** A required integer within bounds. */
  integer(name: string, min: number, max: number): number {
    this.require(name);
    return checkInteger(this.value[name], this.path(name), min, max);
  }

  /** An optional integer within bounds. */
  optionalInteger(name: string, min: number, max: number): number | undefined {
    return this.has(name) ? this.integer(name, min, max) : undefined;
  }

  /** A required finite number within bounds. */
  number(name: string, min: number, max: number): number {
    this.require(name);
    const value = this.value[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(this.path(name), `must be a number, got ${typeOf(value)}`);
    if (value < min || value > max) throw invalid(this.path(name), `must be from ${min} to ${max} (got ${value})`);
    return value;
  }

  /** A required array of at most `maxItems` items. */
  array(name: string, maxItems: number): unknown[] {
    this.require(name);
    const value = this.value[name];
    if (!Array.isArray(value)) throw invalid(this.path(name), `must be an array, got ${typeOf(value)}`);
    if (value.length > maxItems) throw invalid(this.path(name), `must have at most ${maxItems} items (got ${value.length})`);
    return value;
  }

  /** A nested object allowing only `allowed` fields. */
  object(name: string, allowed: readonly string[]): JsonFields {
    this.require(name);
    return JsonFields.of(this.value[name], this.path(name), allowed);
  }

  /** Any JSON value, checked only for depth; absent is `null`. */
  json(name: string): unknown {
    const value = this.raw(name) ?? null;
    checkDepth(value, this.path(name), 0);
    return value;
  }

  private require(name: string): void {
    if (!Object.hasOwn(this.value, name) || this.value[name] === undefined) throw invalid(this.path(name), 'is required');
  }
}

/** Checks an integer within bounds. */
export function checkInteger(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalid(path, `must be an integer, got ${typeOf(value)}`);
  if (value < min || value > max) throw invalid(path, `must be from ${min} to ${max} (got ${value})`);
  return value;
}

function checkDepth(value: unknown, path: string, depth: number): void {
  if (value === null || typeof value !== 'object') return;
  if (depth >= MAX_JSON_DEPTH) throw invalid(path, `nests deeper than ${MAX_JSON_DEPTH} levels`);
  for (const item of Array.isArray(value) ? value : Object.values(value)) checkDepth(item, path, depth + 1);
}
