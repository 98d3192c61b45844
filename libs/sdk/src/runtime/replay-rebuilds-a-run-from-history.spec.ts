import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { CommandType, EventType } from '#workflows/protocol';
import { Activity } from '../decorators/activity.decorator.js';
import { WorkflowRegistry, noHandlers, type WorkflowDefinition } from '../discovery/workflow-registry.js';
import { ActivityFailure } from '../errors/activity-failure.js';
import { NonDeterminismError } from '../errors/non-determinism.error.js';
import { RETRY, completed, history, scheduled, started, taskCompleted } from '../testing/history.builders.js';
import { withOptions } from './activity-proxy.js';
import { replayWorkflowTask } from './workflow-replayer.js';
import { WorkflowRun } from './workflow-run.js';

@Injectable()
class Steps {
  @Activity() async first(n: number): Promise<number> {
    return n;
  }
  @Activity({ startToCloseTimeout: '2s' }) async second(n: number): Promise<number> {
    return n;
  }
}

class SequentialWorkflow {
  constructor(readonly steps: Steps) {}
  async run(input: { n: number }): Promise<number> {
    const a = await this.steps.first(input.n);
    const b = await this.steps.second(a + 1);
    return a + b;
  }
}

class ReorderedWorkflow {
  constructor(readonly steps: Steps) {}
  async run(input: { n: number }): Promise<number> {
    return (await this.steps.second(input.n)) + (await this.steps.first(1));
  }
}

class CatchingWorkflow {
  constructor(readonly steps: Steps) {}
  async run(): Promise<string> {
    try {
      await withOptions(this.steps, { startToCloseTimeout: '9s' }).first(1);
      return 'no error';
    } catch (error) {
      return `caught ${(error as ActivityFailure).name}: ${(error as ActivityFailure).failure.message} (cause ${(error as Error).cause instanceof Error})`;
    }
  }
}

function runOf(metatype: WorkflowDefinition['metatype']): WorkflowRun {
  const registry = new WorkflowRegistry();
  registry.addActivity({ name: 'first', provider: Steps, methodName: 'first', options: {}, isStatic: true });
  registry.addActivity({ name: 'second', provider: Steps, methodName: 'second', options: { startToCloseTimeout: '2s' }, isStatic: true });
  const definition: WorkflowDefinition = { name: 'wf', metatype, runMethod: 'run', params: [{ kind: 'activities', provider: Steps }], inputSchema: null, handlers: noHandlers() };
  return new WorkflowRun(definition, registry, { workflowName: 'wf', executionId: 'e1', runId: 'r1', taskAttempt: 1 });
}

describe('replayWorkflowTask', () => {
  it('answers the first task with the first activity', async () => {
    const commands = await replayWorkflowTask(runOf(SequentialWorkflow), history(started({ n: 5 })));
    expect(commands).toEqual([
      {
        type: CommandType.ScheduleActivity,
        activity_id: 1,
        activity_name: 'first',
        input: [5],
        start_to_close_timeout_ms: 300000,
        schedule_to_start_timeout_ms: 0,
        schedule_to_close_timeout_ms: 0,
        heartbeat_timeout_ms: 0,
        retry: RETRY,
      },
    ]);
  });

  it('replays recorded results and continues where history ends', async () => {
    const recorded = history(
      started({ n: 5 }), // 1
      taskCompleted(1), // 2
      scheduled(1, 'first', [5]), // 3
      { event_type: EventType.ActivityTaskStarted, attributes: { scheduled_event_id: 3, activity_id: 1, attempt: 1, worker_name: 'w' } }, // 4
      completed(3, 1, 5), // 5
      taskCompleted(5), // 6
      scheduled(2, 'second', [6]), // 7
      completed(7, 2, 6), // 8
    );
    const commands = await replayWorkflowTask(runOf(SequentialWorkflow), recorded);
    expect(commands).toEqual([{ type: CommandType.CompleteWorkflow, result: 11 }]);
  });

  it('leaves a result that arrived during a task to the next task, as the original run saw it', async () => {
    // The second task was handed events up to 3 only; event 5's result reaches the workflow after it.
    const recorded = history(
      started({ n: 5 }), // 1
      taskCompleted(1), // 2
      scheduled(1, 'first', [5]), // 3
      completed(3, 1, 5), // 4
    );
    const commands = await replayWorkflowTask(runOf(SequentialWorkflow), recorded);
    expect(commands.map((c) => c.type)).toEqual([CommandType.ScheduleActivity]);
    expect(commands[0]).toMatchObject({ activity_name: 'second', input: [6], start_to_close_timeout_ms: 2000 });
  });

  it('detects a command that differs from the recorded one and names both', async () => {
    const recorded = history(started({ n: 5 }), taskCompleted(1), scheduled(1, 'first', [5]), completed(3, 1, 5));
    await expect(replayWorkflowTask(runOf(ReorderedWorkflow), recorded)).rejects.toThrow(NonDeterminismError);
    await expect(replayWorkflowTask(runOf(ReorderedWorkflow), recorded)).rejects.toThrow(
      /command #1 is SCHEDULE_ACTIVITY second #1 but history recorded ACTIVITY_TASK_SCHEDULED first #1 \(event 3\)/,
    );
  });

  it('gives the workflow a catchable ActivityFailure whose cause is the activity error', async () => {
    const recorded = history(started(null), taskCompleted(1), scheduled(1, 'first', [1]), {
      event_type: EventType.ActivityTaskFailed,
      attributes: { scheduled_event_id: 3, activity_id: 1, attempt: 3, failure: { type: 'PaymentDeclined', message: 'card declined' } },
    });
    const commands = await replayWorkflowTask(runOf(CatchingWorkflow), recorded);
    expect(commands).toEqual([
      { type: CommandType.CompleteWorkflow, result: 'caught ActivityFailure: card declined (cause true)' },
    ]);
  });

  it('fails the workflow with a structured failure when run() throws', async () => {
    class Throwing {
      async run(): Promise<void> {
        throw new RangeError('bad order');
      }
    }
    const registry = new WorkflowRegistry();
    const run = new WorkflowRun({ name: 'wf', metatype: Throwing, runMethod: 'run', params: [], inputSchema: null, handlers: noHandlers() }, registry, {
      workflowName: 'wf',
      executionId: 'e1',
      runId: 'r1',
      taskAttempt: 1,
    });
    const [command] = await replayWorkflowTask(run, history(started(null)));
    expect(command).toMatchObject({ type: CommandType.FailWorkflow, failure: { type: 'RangeError', message: 'bad order' } });
  });

  it('keeps a failure the workflow has not awaited yet from becoming an unhandled rejection', async () => {
    class LateAwait {
      constructor(readonly steps: Steps) {}
      async run(): Promise<string> {
        const first = this.steps.first(1);
        const second = this.steps.second(2);
        await first;
        return second.then(
          () => 'second ok',
          (error: ActivityFailure) => `second failed: ${error.failure.message}`,
        );
      }
    }
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const recorded = history(
        started(null), // 1
        taskCompleted(1), // 2
        scheduled(1, 'first', [1]), // 3
        scheduled(2, 'second', [2]), // 4
        { event_type: EventType.ActivityTaskFailed, attributes: { scheduled_event_id: 4, activity_id: 2, attempt: 1, failure: { type: 'E', message: 'boom' } } }, // 5
        taskCompleted(5), // 6
        completed(3, 1, 1), // 7
      );
      const commands = await replayWorkflowTask(runOf(LateAwait), recorded);
      await new Promise((resolve) => setImmediate(resolve));
      expect(commands).toEqual([{ type: CommandType.CompleteWorkflow, result: 'second failed: boom' }]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('schedules nothing once the workflow has returned', async () => {
    class ReturnsEarly {
      constructor(readonly steps: Steps) {}
      async run(): Promise<string> {
        // Runs a few microtasks after run() has returned and the run has closed.
        void Promise.resolve()
          .then(() => undefined)
          .then(() => undefined)
          .then(() => undefined)
          .then(() => this.steps.first(1));
        return 'done';
      }
    }
    expect(await replayWorkflowTask(runOf(ReturnsEarly), history(started(null)))).toEqual([
      { type: CommandType.CompleteWorkflow, result: 'done' },
    ]);
  });

  it('fails the workflow, naming the path, when its result is not JSON', async () => {
    class BigIntResult {
      async run(): Promise<unknown> {
        return { total: 10n };
      }
    }
    const run = new WorkflowRun({ name: 'wf', metatype: BigIntResult, runMethod: 'run', params: [], inputSchema: null, handlers: noHandlers() }, new WorkflowRegistry(), {
      workflowName: 'wf',
      executionId: 'e1',
      runId: 'r1',
      taskAttempt: 1,
    });
    const [command] = await replayWorkflowTask(run, history(started(null)));
    expect(command).toMatchObject({
      type: CommandType.FailWorkflow,
      failure: { type: 'PayloadSerializationError', message: expect.stringContaining('workflow result.total') },
    });
  });
});
