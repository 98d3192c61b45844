import type { JsonValue } from '#workflows/protocol';

/**
 * Thrown by `ctx.continueAsNew(input)`: when it escapes `@Run()`, the run closes as
 * `CONTINUED_AS_NEW` and the platform starts a new run of the same execution (same execution id,
 * fresh history) with `input`. Not a failure: do not catch it, or rethrow it.
 */
export class ContinueAsNew extends Error {
  constructor(
    /** The new run's input, already a JSON payload. */
    readonly input: JsonValue | null,
    /** The workflow the new run runs. @default the same workflow */
    readonly workflowName?: string,
  ) {
    super(`continue as new${workflowName ? ` as workflow '${workflowName}'` : ''}`);
    this.name = 'ContinueAsNew';
  }
}
