import type { JsonValue } from '#workflows/protocol';

/** A value that cannot travel as JSON; `path` names where it sits (`$.items[2].price`). */
export class PayloadSerializationError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Cannot serialize ${path}: ${reason}`);
    this.name = 'PayloadSerializationError';
  }
}

/**
 * Copies `value` into plain JSON, as it will be recorded, or throws a
 * {@link PayloadSerializationError} naming the first path that cannot be serialized
 * (cycles, BigInt, functions, symbols). `undefined` at the top becomes `null`.
 */
export function toJsonPayload(value: unknown, root = '$'): JsonValue {
  if (value === undefined) return null;
  return copy(value, root, new Set());
}

function copy(value: unknown, path: string, ancestors: Set<object>): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      throw new PayloadSerializationError(path, 'BigInt is not JSON (convert it to a string)');
    case 'function':
      throw new PayloadSerializationError(path, 'functions are not JSON');
    case 'symbol':
      throw new PayloadSerializationError(path, 'symbols are not JSON');
    case 'undefined':
      return null;
  }
  if (value === null) return null;
  const object = value as object & { toJSON?: () => unknown };
  if (typeof object.toJSON === 'function') return copy(object.toJSON(), path, ancestors);
  if (ancestors.has(object)) throw new PayloadSerializationError(path, 'circular reference');
  ancestors.add(object);
  try {
    if (Array.isArray(object)) return object.map((item, index) => copy(item, `${path}[${index}]`, ancestors));
    const result: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(object)) {
      if (item === undefined) continue;
      Object.defineProperty(result, key, {
        value: copy(item, `${path}.${key}`, ancestors),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return result;
  } finally {
    ancestors.delete(object);
  }
}
