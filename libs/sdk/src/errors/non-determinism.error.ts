/**
 * Replay produced a command that does not match the recorded one: the workflow code changed in
 * a way that is not compatible with executions already running. The workflow task fails and the
 * execution waits for fixed code; history is never rewritten.
 */
export class NonDeterminismError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NonDeterminismError';
  }
}
