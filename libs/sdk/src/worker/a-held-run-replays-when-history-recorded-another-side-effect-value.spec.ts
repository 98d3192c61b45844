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

@Injectable()
class Prices {
  static quotes = 0;
  @Activity({ local: true }) async quote(): Promise<number> {
    return ++Prices.quotes;
  }
}

@Workflow({ name: 'quote' })
class QuoteWorkflow {
  constructor(
    private readonly prices: Prices,
    private readonly tokens: Tokens,
  ) {}
  @Run() async run(): Promise<number> {
    const price = await this.prices.quote();
    await this.tokens.use('after');
    return price;
  }
}

describe('a held run whose answer history recorded with another local activity outcome', () => {
  it('replays, and answers with the outcome history recorded (another worker ran the same task)', async () => {
    const registry = new WorkflowRegistry();
    const problems: string[] = [];
    addActivityProvider(registry, Prices, true, problems);
    addActivityProvider(registry, Tokens, true, problems);
    addWorkflowClass(registry, QuoteWorkflow, problems);
    expect(problems).toEqual([]);
    const executor = new WorkflowTaskExecutor(registry, { maxCachedWorkflows: 10 });
    const quoteTask = (events: NewEvent[]): WorkflowTaskWire => ({ ...task(events), workflow_name: 'quote' });

    const start = started(null, 'quote');
    // This worker's local activity gave 1, but its answer was refused (its lease ran out).
    expect(await executor.execute(quoteTask([start]))).toEqual({ localActivities: [expect.objectContaining({ activity_name: 'quote' })] });
    await executor.resumeLocal(quoteTask([start]), [{ activity_id: 1, attempts: 1, result: 1 }]);
    // Another worker ran the same task and recorded 2.
    const recorded: NewEvent[] = [
      start,
      taskCompleted(1, 'other'),
      marker('local_activity', { activity_id: 1, activity_name: 'quote', attempts: 1, result: 2 }),
      scheduled(2, 'use', ['after']),
      completed(4, 2, 'after'),
    ];
    expect(await executor.execute(quoteTask(recorded))).toEqual({ commands: [{ type: CommandType.CompleteWorkflow, result: 2 }] });
  });
});
