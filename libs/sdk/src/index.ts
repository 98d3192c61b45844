export { ParentClosePolicy, type Duration } from '#workflows/protocol';
export { ActivityContext, type ActivityInfo } from './activity/activity-context.js';
export { WorkflowHandle, type QueryOptions, type UpdateOptions } from './client/workflow-handle.js';
export {
  WorkflowsClient,
  type StartWorkflowOptions,
  type WorkflowReference,
  type WorkflowsClientOptions,
} from './client/workflows-client.js';
export { Activity, type ActivityOptions, type RetryPolicy } from './decorators/activity.decorator.js';
export { Query, Signal, Update, type HandlerOptions } from './decorators/handler.decorators.js';
export { Run } from './decorators/run.decorator.js';
export { Workflow, type WorkflowOptions } from './decorators/workflow.decorator.js';
export { WorkflowsDiscoveryError } from './discovery/workflows-discovery.error.js';
export { ActivityFailure } from './errors/activity-failure.js';
export { ApplicationFailure, type ApplicationFailureOptions } from './errors/application-failure.js';
export { CancelledFailure } from './errors/cancelled-failure.js';
export { ChildWorkflowFailure, StartChildWorkflowFailure } from './errors/child-workflow-failure.js';
export { ContinueAsNew } from './errors/continue-as-new.js';
export { DeadlockError } from './errors/deadlock.error.js';
export { NonDeterminismError } from './errors/non-determinism.error.js';
export { WorkflowFailedError } from './errors/workflow-failed.error.js';
export { WorkflowQueryFailedError } from './errors/workflow-query-failed.error.js';
export { WorkflowUpdateFailedError } from './errors/workflow-update-failed.error.js';
export { WorkflowsApiError } from './errors/workflows-api.error.js';
export {
  DEFAULT_EMBEDDED_PORT,
  WorkflowsOptionsError,
  resolveWorkflowsOptions,
  type EmbeddedPlatformOptions,
  type ResolvedWorkflowsOptions,
  type WorkflowsModuleOptions,
} from './options/workflows-options.js';
export { runWorker, type RunWorkerOptions, type RunningWorker } from './run-worker.js';
export { withOptions } from './runtime/activity-proxy.js';
export { ChildWorkflowHandle, type ChildWorkflowOptions } from './runtime/child-workflow.handle.js';
export { InvalidHistoryError, replayHistory } from './runtime/replay-history.js';
export { PayloadSerializationError } from './runtime/payload.js';
export { WorkflowContext } from './runtime/workflow-context.js';
export type { WorkflowInfo } from './runtime/workflow-info.js';
export { WorkflowsModule } from './workflows.module.js';
export { HttpPlatformTransport, type HttpTransportOptions } from './transport/http-platform.transport.js';
export type { PlatformTransport } from './transport/platform-transport.js';
export { ACTIVITY_METADATA } from './workflows.constants.js';
