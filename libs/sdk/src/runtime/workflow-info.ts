/** What a workflow knows about its own execution. */
export interface WorkflowInfo {
  workflowName: string;
  executionId: string;
  runId: string;
  /** The attempt of the workflow task being processed. */
  taskAttempt: number;
}
