import type { ExecuteWorkflowRequest, ExecutionWire, UpdateRequest, UpdateResponse } from '#workflows/protocol';
import { HttpPlatformTransport, type HttpTransportOptions } from '#workflows/sdk';
import type { TimeSkipper } from './time.skipper.js';

/**
 * The test client's transport: a wait for a workflow's result (`execute` with
 * `wait_for_result`, `getExecution` with `wait_seconds`, as `WorkflowHandle.result()` and
 * `WorkflowsClient.execute()` send them) or for an update's outcome (`WorkflowHandle.update()`)
 * turns time skipping on while it lasts.
 */
export class TimeSkippingTransport extends HttpPlatformTransport {
  constructor(
    options: HttpTransportOptions,
    private readonly skipper: TimeSkipper,
  ) {
    super(options);
  }

  override execute(workflowName: string, body: ExecuteWorkflowRequest): Promise<ExecutionWire> {
    if (!body.wait_for_result) return super.execute(workflowName, body);
    return this.skipper.whileWaiting(() => super.execute(workflowName, body));
  }

  override update(executionId: string, body: UpdateRequest): Promise<UpdateResponse> {
    return this.skipper.whileWaiting(() => super.update(executionId, body));
  }

  override getExecution(executionId: string, waitSeconds?: number): Promise<ExecutionWire> {
    if (!waitSeconds) return super.getExecution(executionId);
    return this.skipper.whileWaiting(() => super.getExecution(executionId, waitSeconds));
  }
}
