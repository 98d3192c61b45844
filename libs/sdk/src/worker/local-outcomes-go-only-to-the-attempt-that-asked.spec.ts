import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { CommandType, type WorkflowTaskWire } from '#workflows/protocol';
import { Activity } from '../decorators/activity.decorator.js';
import { Run } from '../decorators/run.decorator.js';
import { Workflow } from '../decorators/workflow.decorator.js';
import { addActivityProvider, addWorkflowClass } from '../discovery/registry.builder.js';
import { WorkflowRegistry } from '../discovery/workflow-registry.js';
import { history, started } from '../testing/history.builders.js';
import { WorkflowTaskExecutor } from './workflow-task.executor.js';

@Injectable()
class Lookups {
  @Activity({ local: true }) async find(n: number): Promise<number> {
    return n;
  }
}

@Workflow({ name: 'lookup' })
class LookupWorkflow {
  constructor(private readonly lookups: Lookups) {}
  @Run() async run(): Promise<number> {
    return this.lookups.find(1);
  }
}

const attempt = (n: number): WorkflowTaskWire => ({
  kind: 'workflow',
  task_token: `w1.${n}`,
  execution_id: 'e1',
  run_id: 'r1',
  workflow_name: 'lookup',
  attempt: n,
  history: history(started(null, 'lookup')),
});

/**
 * A run waits in the middle of its workflow task for its local activities' outcomes. When that
 * task's lease ran out and its next attempt came to the same worker, the late outcomes of the
 * first attempt must not settle the second attempt's run.
 */
describe('local activity outcomes', () => {
  it('go only to the attempt of the task that asked for them', async () => {
    const registry = new WorkflowRegistry();
    const problems: string[] = [];
    addActivityProvider(registry, Lookups, true, problems);
    addWorkflowClass(registry, LookupWorkflow, problems);
    expect(problems).toEqual([]);
    const executor = new WorkflowTaskExecutor(registry, { maxCachedWorkflows: 10 });

    const call = { localActivities: [expect.objectContaining({ activity_id: 1, activity_name: 'find' })] };
    expect(await executor.execute(attempt(1))).toEqual(call);
    expect(await executor.execute(attempt(2))).toEqual(call);

    const late = await executor.resumeLocal(attempt(1), [{ activity_id: 1, attempts: 1, result: 99 }]);
    expect(late).toEqual({ failure: expect.objectContaining({ type: 'LocalActivityRunLost' }) });
    const own = await executor.resumeLocal(attempt(2), [{ activity_id: 1, attempts: 1, result: 1 }]);
    expect(own).toEqual({
      commands: [
        { type: CommandType.RecordMarker, marker_name: 'local_activity', details: { activity_id: 1, activity_name: 'find', attempts: 1, result: 1 } },
        { type: CommandType.CompleteWorkflow, result: 1 },
      ],
    });
  });
});
