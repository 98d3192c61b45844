import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { CommandType, type NewEvent, type WorkflowTaskWire } from '#workflows/protocol';
import { Activity } from '../decorators/activity.decorator.js';
import { Run } from '../decorators/run.decorator.js';
import { Workflow } from '../decorators/workflow.decorator.js';
import { addActivityProvider, addWorkflowClass } from '../discovery/registry.builder.js';
import { WorkflowRegistry } from '../discovery/workflow-registry.js';
import {
  completed as completedActivity,
  history,
  scheduled as scheduledActivity,
  started as startedWith,
  taskCompleted,
} from '../testing/history.builders.js';
import { WorkflowTaskExecutor } from './workflow-task.executor.js';

@Injectable()
class Steps {
  @Activity() async step(n: number): Promise<number> {
    return n;
  }
}

let instances = 0;
@Workflow({ name: 'counting' })
class CountingWorkflow {
  constructor(private readonly steps: Steps) {
    instances++;
  }
  @Run() async run(): Promise<number> {
    let total = 0;
    for (let n = 1; n <= 3; n++) total += await this.steps.step(n);
    return total;
  }
}

const started = startedWith(null, 'counting');
const scheduled = (id: number) => scheduledActivity(id, 'step', [id]);
const completed = (scheduledEventId: number, id: number) => completedActivity(scheduledEventId, id, id);

function task(events: NewEvent[], attempt = 1): WorkflowTaskWire {
  return { kind: 'workflow', task_token: `w1.${attempt}`, execution_id: 'e1', run_id: 'r1', workflow_name: 'counting', attempt, history: history(...events) };
}

function executor(maxCachedWorkflows: number): WorkflowTaskExecutor {
  const registry = new WorkflowRegistry();
  const problems: string[] = [];
  addActivityProvider(registry, Steps, true, problems);
  addWorkflowClass(registry, CountingWorkflow, problems);
  expect(problems).toEqual([]);
  return new WorkflowTaskExecutor(registry, { maxCachedWorkflows });
}

describe('the sticky cache', () => {
  beforeEach(() => {
    instances = 0;
  });

  /** The history of a run whose first task scheduled step 1, which completed. */
  const afterFirstStep = (): NewEvent[] => [started, taskCompleted(1), scheduled(1), completed(3, 1)];

  it('applies the next task to the run it holds, without replaying, and answers as a replay would', async () => {
    const sticky = executor(10);
    expect(await sticky.execute(task([started]))).toEqual({ commands: [expect.objectContaining({ type: CommandType.ScheduleActivity, activity_id: 1 })] });
    const second = await sticky.execute(task(afterFirstStep()));
    const third = await sticky.execute(task([...afterFirstStep(), taskCompleted(4), scheduled(2), completed(6, 2)]));
    expect(instances).toBe(1);
    expect(sticky.cacheStats).toEqual({ held: 1, hits: 2, misses: 1 });

    const replaying = executor(0);
    expect(await replaying.execute(task(afterFirstStep()))).toEqual(second);
    expect(await replaying.execute(task([...afterFirstStep(), taskCompleted(4), scheduled(2), completed(6, 2)]))).toEqual(third);
    expect(replaying.cacheStats).toEqual({ held: 0, hits: 0, misses: 2 });
  });

  it('replays when the history does not go on from its answer (another worker ran a task meanwhile)', async () => {
    const sticky = executor(10);
    await sticky.execute(task([started]));
    // Another worker answered a later task of the run: two completed tasks after where the held run stopped.
    const elsewhere = [...afterFirstStep(), taskCompleted(4, 'other'), scheduled(2), completed(6, 2)];
    expect(await sticky.execute(task(elsewhere))).toEqual({ commands: [expect.objectContaining({ type: CommandType.ScheduleActivity, activity_id: 3 })] });
    expect(instances).toBe(2);
    expect(sticky.cacheStats).toMatchObject({ hits: 0, misses: 2 });
  });

  it('keeps at most its capacity, dropping the least recently used, and never a closed run', async () => {
    const sticky = executor(1);
    await sticky.execute(task([started]));
    await sticky.execute({ ...task([started]), run_id: 'r2', execution_id: 'e2' });
    expect(sticky.cacheStats.held).toBe(1);
    // r1 was evicted: its next task replays.
    await sticky.execute(task(afterFirstStep()));
    expect(sticky.cacheStats).toMatchObject({ hits: 0, misses: 3 });
    const closing = [...afterFirstStep(), taskCompleted(4), scheduled(2), completed(6, 2), taskCompleted(7), scheduled(3), completed(9, 3)];
    expect(await sticky.execute(task(closing))).toEqual({ commands: [{ type: CommandType.CompleteWorkflow, result: 6 }] });
    expect(sticky.cacheStats.held).toBe(0);
  });

  it('takes a task of only the new events when it holds the run up to them, and asks for the whole history when it does not', async () => {
    const sticky = executor(10);
    await sticky.execute(task([started]));
    // Only the events after event 1, which the held run has seen.
    const onlyNew: WorkflowTaskWire = { ...task(afterFirstStep()), history_after_event_id: 1 };
    onlyNew.history = onlyNew.history.slice(1);
    expect(await sticky.execute(onlyNew)).toEqual({ commands: [expect.objectContaining({ type: CommandType.ScheduleActivity, activity_id: 2 })] });
    expect(instances).toBe(1);

    // A worker that holds nothing (or holds the run elsewhere in its history) cannot replay from a part.
    expect(await executor(10).execute(onlyNew)).toEqual({ historyNeeded: true });
    expect(await sticky.execute({ ...onlyNew, history_after_event_id: 4 })).toEqual({ historyNeeded: true });
  });
});
