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
}

/** What a run is created with: the history figures default to `0` and `false` (a replay of a saved history). */
export type WorkflowInfoInit = Omit<WorkflowInfo, 'historyLength' | 'continueAsNewSuggested'> &
  Partial<Pick<WorkflowInfo, 'historyLength' | 'continueAsNewSuggested'>>;
