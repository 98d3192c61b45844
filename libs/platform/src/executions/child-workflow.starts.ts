import { Inject, Injectable } from '@nestjs/common';
import { CommandType, PlatformFailureType, type Clock, type Command, type Failure } from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';
import { CLOCK, STORE } from '../platform.constants.js';
import type { Store } from '../store/store.interface.js';
import { PayloadValidator } from '../validation/payload.validator.js';

/**
 * Checks the child workflows a workflow task's `START_CHILD_WORKFLOW` commands start before the
 * completion is recorded, as a start by the API would be: the workflow must be registered in
 * the namespace (in the deployment named, if any) and the input must match its schema. A child
 * that fails is not started: its parent records `START_CHILD_WORKFLOW_EXECUTION_FAILED` and
 * the workflow's `startChild` rejects, so that a wrong name is a named failure, never a hang.
 */
@Injectable()
export class ChildWorkflowStarts {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly validator: PayloadValidator,
  ) {}

  /** The failures, by child id, of the children `commands` start; `undefined` when they start none. */
  async failures(namespace: string, commands: readonly Command[]): Promise<Map<number, Failure> | undefined> {
    let failures: Map<number, Failure> | undefined;
    for (const command of commands as readonly (Command | null)[]) {
      if (command?.type !== CommandType.StartChildWorkflow) continue;
      failures ??= new Map();
      const failure = await this.check(namespace, command.workflow_name, command.deployment_name ?? null, command.input ?? null);
      if (failure) failures.set(command.child_id, failure);
    }
    return failures;
  }

  private async check(namespace: string, workflowName: unknown, deploymentName: unknown, input: unknown): Promise<Failure | null> {
    // A malformed command is the planner's to refuse, naming its index.
    if (typeof workflowName !== 'string' || (deploymentName !== null && typeof deploymentName !== 'string')) return null;
    const workflow = await this.store.getWorkflow(namespace, workflowName, this.clock.now(), deploymentName);
    if (!workflow || (deploymentName !== null && !workflow.deployments.includes(deploymentName))) {
      const where = deploymentName === null ? 'in this namespace' : `in deployment '${deploymentName}'`;
      return {
        type: PlatformFailureType.WorkflowNotFound,
        message: `child workflow '${workflowName}' is not registered ${where}: no worker has registered it`,
        non_retryable: true,
      };
    }
    try {
      this.validator.checkStartInput(workflow, input);
      return null;
    } catch (error) {
      if (!(error instanceof PlatformError)) throw error;
      return { type: PlatformFailureType.InvalidInput, message: `child workflow '${workflowName}': ${error.detail}`, non_retryable: true };
    }
  }
}
