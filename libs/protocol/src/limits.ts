/** Bounds the API enforces; both sides read them from here. */
export const Limits = {
  /** Largest request body the API accepts. */
  maxRequestBytes: 2 * 1024 * 1024,
  /** Longest id or name (execution id, workflow, activity, worker, deployment names). */
  maxIdLength: 255,
  /** Largest sequence number a workflow gives its activities, timers and children (a 32-bit column). */
  maxSequenceId: 2_147_483_647,
  /** Longest a poll is held open. */
  maxPollWaitMs: 60_000,
  /** Most results on one page. */
  maxPageSize: 1000,
  /** Longest `wait_for_result` wait. */
  maxWaitForResultSeconds: 300,
  /** Longest a query or update request is held open (`timeout_seconds`); an update keeps running after. */
  maxInteractionWaitSeconds: 60,
  /** How long a query or update request waits by default. */
  defaultInteractionWaitSeconds: 10,
  /** Most execution ids in one batch cancel or terminate. */
  maxBatchSize: 1000,
  /** Longest cancel or terminate reason. */
  maxReasonLength: 1000,
} as const;

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Why `value` is not a valid id or name, or `null` when it is one. */
export function idProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if (value.length > Limits.maxIdLength) return `must be at most ${Limits.maxIdLength} characters (got ${value.length})`;
  if (CONTROL_CHARACTERS.test(value)) return 'must not contain control characters';
  if (value.trim() !== value) return 'must not start or end with whitespace';
  return null;
}
