/** The types of event an execution's history records, in upper snake case. */
export const EventType = {
  WorkflowExecutionStarted: 'WORKFLOW_EXECUTION_STARTED',
  WorkflowExecutionCompleted: 'WORKFLOW_EXECUTION_COMPLETED',
  WorkflowExecutionFailed: 'WORKFLOW_EXECUTION_FAILED',
  WorkflowTaskCompleted: 'WORKFLOW_TASK_COMPLETED',
  WorkflowTaskFailed: 'WORKFLOW_TASK_FAILED',
  ActivityTaskScheduled: 'ACTIVITY_TASK_SCHEDULED',
  ActivityTaskStarted: 'ACTIVITY_TASK_STARTED',
  ActivityTaskCompleted: 'ACTIVITY_TASK_COMPLETED',
  ActivityTaskRetrying: 'ACTIVITY_TASK_RETRYING',
  ActivityTaskFailed: 'ACTIVITY_TASK_FAILED',
} as const;
/** One of {@link EventType}'s values. */
export type EventType = (typeof EventType)[keyof typeof EventType];
