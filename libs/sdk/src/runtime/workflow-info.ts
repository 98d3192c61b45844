/** What a workflow knows about its own execution. */
export interface WorkflowInfo {
  workflowName: string;
  executionId: string;
  runId: string;
  /** The attempt of the workflow task being processed. */
  taskAttempt: number;
  /** How many events the run's history held when the workflow task being processed was leased. */
  historyLength: number;
  /**
   * The history reached the platform's soft limit (`WORKFLOWS_HISTORY_WARN_EVENTS`): a long-lived
   * workflow should call `ctx.continueAsNew(...)` at its next convenient point, before the hard
   * limit ends the run (`HistoryLimitExceeded`).
   */
  continueAsNewSuggested: boolean;
  /** The execution that started this one as a child workflow; `null` when none did. */
  parentExecutionId: string | null;
  /** The top of the tree of executions this one belongs to: its own id when it has no parent. */
  rootExecutionId: string;
}

/**
 * What a run is created with: the history figures default to `0` and `false` (a replay of a
 * saved history); the parent and root are read from the history's first event.
 */
export type WorkflowInfoInit = Omit<WorkflowInfo, 'historyLength' | 'continueAsNewSuggested' | 'parentExecutionId' | 'rootExecutionId'> &
  Partial<Pick<WorkflowInfo, 'historyLength' | 'continueAsNewSuggested' | 'parentExecutionId' | 'rootExecutionId'>>;
