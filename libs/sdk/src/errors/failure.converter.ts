import type { Failure, JsonValue } from '#workflows/protocol';
import { ActivityFailure } from './activity-failure.js';
import { ApplicationFailure } from './application-failure.js';
import { toJsonPayload } from '../runtime/payload.js';

const MAX_CAUSE_DEPTH = 20;
/** Longest message or stack recorded; the platform refuses longer ones. */
const MAX_TEXT = 32 * 1024;

function clip(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT)}… (${text.length - MAX_TEXT} more characters)`;
}

/**
 * Turns anything thrown into a structured {@link Failure}, keeping the `cause` chain (cycles cut).
 * Non-Error values (strings, null, plain objects) become readable failures too.
 */
export function toFailure(thrown: unknown, seen: Set<unknown> = new Set(), depth = 0): Failure {
  try {
    return convert(thrown, seen, depth);
  } catch (error) {
    // A hostile getter or a details value that is not JSON: record what can be read.
    return { type: 'UnreadableFailure', message: `The thrown value could not be recorded: ${String((error as Error)?.message ?? error)}` };
  }
}

function convert(thrown: unknown, seen: Set<unknown>, depth: number): Failure {
  if (thrown instanceof Error) {
    seen.add(thrown);
    const failure: Failure = { type: clip(String(thrown.name || 'Error')), message: clip(String(thrown.message)) };
    if (thrown.stack) failure.stack = clip(String(thrown.stack));
    if (thrown instanceof ApplicationFailure) {
      failure.type = thrown.type;
      if (thrown.nonRetryable) failure.non_retryable = true;
      if (thrown.details !== undefined) failure.details = toJsonPayload(thrown.details, 'failure details');
    }
    if (thrown instanceof ActivityFailure) {
      failure.details = { activity_name: thrown.activityName, activity_id: thrown.activityId };
    }
    const cause = (thrown as { cause?: unknown }).cause;
    if (cause !== undefined && !seen.has(cause) && depth < MAX_CAUSE_DEPTH) {
      failure.cause = toFailure(cause, seen, depth + 1);
    }
    return failure;
  }
  return { type: thrownTypeName(thrown), message: clip(describeThrown(thrown)) };
}

/** Rebuilds an Error from a recorded {@link Failure}, with its chain, type and stack. */
export function fromFailure(failure: Failure): Error {
  const cause = failure.cause ? fromFailure(failure.cause) : undefined;
  const error = new ApplicationFailure(failure.message, {
    type: failure.type,
    nonRetryable: failure.non_retryable ?? false,
    details: failure.details,
    cause,
  });
  error.name = failure.type;
  if (failure.stack) error.stack = failure.stack;
  return error;
}

function thrownTypeName(thrown: unknown): string {
  if (thrown === null) return 'null';
  if (typeof thrown === 'object') return 'ThrownObject';
  return `Thrown${typeof thrown === 'string' ? 'String' : capitalize(typeof thrown)}`;
}

function describeThrown(thrown: unknown): string {
  if (typeof thrown === 'string') return thrown;
  if (thrown === null || thrown === undefined) return String(thrown);
  if (typeof thrown === 'object') {
    try {
      return JSON.stringify(thrown as JsonValue) ?? String(thrown);
    } catch {
      return Object.prototype.toString.call(thrown);
    }
  }
  return String(thrown);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
