import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { CommandType, EventType, type HistoryEvent, type NewEvent, type RetryPolicyWire, type WorkflowTaskWire } from '#workflows/protocol';
import { Activity } from '../decorators/activity.decorator.js';
import { Run } from '../decorators/run.decorator.js';
import { Workflow } from '../decorators/workflow.decorator.js';
import { addActivityProvider, addWorkflowClass } from '../discovery/registry.builder.js';
import { WorkflowRegistry } from '../discovery/workflow-registry.js';
import { WorkflowContext } from '../runtime/workflow-context.js';
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

const retry: RetryPolicyWire = { initial_interval_ms: 1000, backoff_coefficient: 2, maximum_interval_ms: 100000, maximum_attempts: 0, non_retryable_error_types: [] };

function task(history: NewEvent[]): WorkflowTaskWire {
  const numbered = history.map((event, index) => ({ ...event, event_id: index + 1, event_timestamp: '2026-01-01T00:00:00.000Z' }) as HistoryEvent);
  return { kind: 'workflow', task_token: 'w1.1', execution_id: 'e1', run_id: 'r1', workflow_name: 'token', attempt: 1, history: numbered };
}

describe('a held run whose answer history recorded with another side-effect value', () => {
  it('replays, and answers with the value history recorded (another worker answered the same task)', async () => {
    const registry = new WorkflowRegistry();
    const problems: string[] = [];
    addActivityProvider(registry, Tokens, true, problems);
    addWorkflowClass(registry, TokenWorkflow, problems);
    expect(problems).toEqual([]);
    const executor = new WorkflowTaskExecutor(registry, { maxCachedWorkflows: 10 });

    const started: NewEvent = { event_type: EventType.WorkflowExecutionStarted, attributes: { workflow_name: 'token', deployment_name: null, input: null, run_id: 'r1' } };
    // This worker answers with token-1, but its answer is refused (its lease ran out).
    await executor.execute(task([started]));
    // Another worker answered the same task with its own side effect: token-2 is what history records.
    const history: NewEvent[] = [
      started,
      { event_type: EventType.WorkflowTaskCompleted, attributes: { last_seen_event_id: 1, worker_name: 'other', attempt: 2 } },
      { event_type: EventType.MarkerRecorded, attributes: { marker_name: 'side_effect', details: { seq: 1, value: 'token-2' } } },
      {
        event_type: EventType.ActivityTaskScheduled,
        attributes: {
          activity_id: 1,
          activity_name: 'use',
          input: ['first'],
          start_to_close_timeout_ms: 300000,
          schedule_to_start_timeout_ms: 0,
          schedule_to_close_timeout_ms: 0,
          heartbeat_timeout_ms: 0,
          retry,
        },
      },
      { event_type: EventType.ActivityTaskCompleted, attributes: { scheduled_event_id: 4, activity_id: 1, attempt: 1, result: 'first' } },
    ];
    expect(await executor.execute(task(history))).toEqual({ commands: [{ type: CommandType.CompleteWorkflow, result: 'token-2' }] });
  });
});
