import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { CommandType, type NewEvent, type WorkflowTaskWire } from '#workflows/protocol';
import { Activity } from '../decorators/activity.decorator.js';
import { Run } from '../decorators/run.decorator.js';
import { Workflow } from '../decorators/workflow.decorator.js';
import { addActivityProvider, addWorkflowClass } from '../discovery/registry.builder.js';
import { WorkflowRegistry } from '../discovery/workflow-registry.js';
import { WorkflowContext } from '../runtime/workflow-context.js';
import { completed, history, marker, scheduled, started, taskCompleted } from '../testing/history.builders.js';
import { WorkflowTaskExecutor } from './workflow-task.executor.js';

@Injectable()
class Tokens {
  @Activity() async use(token: string): Promise<string> {
    return token;
  }
}

let calls = 0;
@Workflow({ name: 'token' })
class TokenWorkflow {
  constructor(
    private readonly ctx: WorkflowContext,
    private readonly tokens: Tokens,
  ) {}
  @Run() async run(): Promise<string> {
    const token = this.ctx.sideEffect(() => `token-${++calls}`);
    await this.tokens.use('first');
    return token;
  }
}

function task(events: NewEvent[]): WorkflowTaskWire {
  return { kind: 'workflow', task_token: 'w1.1', execution_id: 'e1', run_id: 'r1', workflow_name: 'token', attempt: 1, history: history(...events) };
}

describe('a held run whose answer history recorded with another side-effect value', () => {
  it('replays, and answers with the value history recorded (another worker answered the same task)', async () => {
    const registry = new WorkflowRegistry();
    const problems: string[] = [];
    addActivityProvider(registry, Tokens, true, problems);
    addWorkflowClass(registry, TokenWorkflow, problems);
    expect(problems).toEqual([]);
    const executor = new WorkflowTaskExecutor(registry, { maxCachedWorkflows: 10 });

    const start = started(null, 'token');
    // This worker answers with token-1, but its answer is refused (its lease ran out).
    await executor.execute(task([start]));
    // Another worker answered the same task with its own side effect: token-2 is what history records.
    const recorded: NewEvent[] = [
      start,
      taskCompleted(1, 'other'),
      marker('side_effect', { seq: 1, value: 'token-2' }),
      scheduled(1, 'use', ['first']),
      completed(4, 1, 'first'),
    ];
    expect(await executor.execute(task(recorded))).toEqual({ commands: [{ type: CommandType.CompleteWorkflow, result: 'token-2' }] });
  });
});
