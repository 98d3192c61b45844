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
  ActivityTaskCancelRequested: 'ACTIVITY_TASK_CANCEL_REQUESTED',
  ActivityTaskCanceled: 'ACTIVITY_TASK_CANCELED',
  TimerStarted: 'TIMER_STARTED',
  TimerFired: 'TIMER_FIRED',
  TimerCanceled: 'TIMER_CANCELED',
  WorkflowExecutionSignaled: 'WORKFLOW_EXECUTION_SIGNALED',
  WorkflowExecutionCancelRequested: 'WORKFLOW_EXECUTION_CANCEL_REQUESTED',
  WorkflowExecutionCanceled: 'WORKFLOW_EXECUTION_CANCELED',
  WorkflowExecutionTerminated: 'WORKFLOW_EXECUTION_TERMINATED',
  WorkflowExecutionUpdateAccepted: 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
  WorkflowExecutionUpdateCompleted: 'WORKFLOW_EXECUTION_UPDATE_COMPLETED',
  WorkflowExecutionContinuedAsNew: 'WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
  MarkerRecorded: 'MARKER_RECORDED',
} as const;
/** One of {@link EventType}'s values. */
export type EventType = (typeof EventType)[keyof typeof EventType];
