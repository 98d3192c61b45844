/** Thrown at bootstrap when decorated classes are not usable; lists every problem at once. */
export class WorkflowsDiscoveryError extends Error {
  constructor(readonly problems: string[]) {
    super(`Workflows discovery found ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'WorkflowsDiscoveryError';
  }
}
