import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { CommandType, EventType, type HistoryEvent } from '#workflows/protocol';
import { Activity } from '../decorators/activity.decorator.js';
import { Run } from '../decorators/run.decorator.js';
import { Workflow } from '../decorators/workflow.decorator.js';
import { ActivityFailure } from '../errors/activity-failure.js';
import { NonDeterminismError } from '../errors/non-determinism.error.js';
import { completed, history, marker, scheduled, started, taskCompleted, timerFired, timerStarted } from '../testing/history.builders.js';
import { withOptions } from './activity-proxy.js';
import { LOCAL_ACTIVITY_MARKER } from './local-activity.js';
import { replayHistory } from './replay-history.js';
import { WorkflowContext } from './workflow-context.js';

/** Calls of the activities below: a replay settles local activities from history and never runs them. */
let calls = 0;

@Injectable()
class Lookups {
  @Activity({ local: true }) async a(n: number): Promise<string> {
    calls++;
    return `a${n}`;
  }
  @Activity({ local: true }) async b(n: number): Promise<string> {
    calls++;
    return `b${n}`;
  }
}

/** The code that recorded the histories below: local a, then local b (in one task, one after the other), a timer. */
@Workflow({ name: 'lookup' })
class Recorded {
  constructor(
    private readonly lookups: Lookups,
    private readonly ctx: WorkflowContext,
  ) {}
  @Run() async run(): Promise<string> {
    const a = await this.lookups.a(1);
    const b = await this.lookups.b(2);
    await this.ctx.sleep('1s');
    return `${a}+${b}`;
  }
}

/** A change: b is called first. */
@Workflow({ name: 'lookup' })
class Swapped {
  constructor(
    private readonly lookups: Lookups,
    private readonly ctx: WorkflowContext,
  ) {}
  @Run() async run(): Promise<string> {
    const b = await this.lookups.b(2);
    const a = await this.lookups.a(1);
    await this.ctx.sleep('1s');
    return `${a}+${b}`;
  }
}

/** A change: a is no longer local. */
@Workflow({ name: 'lookup' })
class MadeOrdinary {
  constructor(
    private readonly lookups: Lookups,
    private readonly ctx: WorkflowContext,
  ) {}
  @Run() async run(): Promise<string> {
    const a = await withOptions(this.lookups, { local: false }).a(1);
    const b = await this.lookups.b(2);
    await this.ctx.sleep('1s');
    return `${a}+${b}`;
  }
}

/** The older code of the `sleeper` histories: a timer, and nothing else. */
@Workflow({ name: 'sleeper' })
class Sleeper {
  constructor(private readonly ctx: WorkflowContext) {}
  @Run() async run(): Promise<string> {
    await this.ctx.sleep('1s');
    return 'slept';
  }
}

/** A change: a local activity before the timer. */
@Workflow({ name: 'sleeper' })
class LookupBeforeSleeping {
  constructor(
    private readonly lookups: Lookups,
    private readonly ctx: WorkflowContext,
  ) {}
  @Run() async run(): Promise<string> {
    const a = await this.lookups.a(1);
    await this.ctx.sleep('1s');
    return a;
  }
}

/** Catches the failure of a local activity, then waits on a timer. */
@Workflow({ name: 'catcher' })
class Catcher {
  constructor(
    private readonly lookups: Lookups,
    private readonly ctx: WorkflowContext,
  ) {}
  @Run() async run(): Promise<string> {
    let seen: string;
    try {
      seen = await this.lookups.a(1);
    } catch (error) {
      const failure = error as ActivityFailure;
      seen = `${failure.name} ${failure.failure.type}: ${failure.failure.message}`;
    }
    await this.ctx.sleep('1s');
    return seen;
  }
}

const localMarker = (activityId: number, activityName: string, outcome: object) =>
  marker(LOCAL_ACTIVITY_MARKER, { activity_id: activityId, activity_name: activityName, attempts: 1, ...outcome });

/** The first task ran a and b locally and started the timer; the timer fired. */
const markersHistory = (): HistoryEvent[] =>
  history(
    started(null, 'lookup'), // 1
    taskCompleted(1), // 2
    localMarker(1, 'a', { result: 'a1' }), // 3
    localMarker(2, 'b', { result: 'b2' }), // 4
    timerStarted(1, 1000), // 5
    timerFired(1, 5), // 6
  );

async function rejection(replay: Promise<unknown>): Promise<Error> {
  const error = await replay.then(
    () => new Error('the replay succeeded'),
    (thrown: unknown) => thrown as Error,
  );
  expect(error).toBeInstanceOf(NonDeterminismError);
  return error;
}

describe('local activities on replay', () => {
  beforeEach(() => (calls = 0));

  it('settle from their recorded markers, in turns, without running again', async () => {
    const commands = await replayHistory(Recorded, markersHistory(), [Lookups]);
    expect(commands).toEqual([{ type: CommandType.CompleteWorkflow, result: 'a1+b2' }]);
    expect(calls).toBe(0);
  });

  it('rethrow a recorded failure as an ActivityFailure', async () => {
    const failure = { type: 'CardDeclined', message: 'declined', non_retryable: true };
    const recorded = history(started(null, 'catcher'), taskCompleted(1), localMarker(1, 'a', { failure }), timerStarted(1, 1000), timerFired(1, 4));
    const commands = await replayHistory(Catcher, recorded, [Lookups]);
    expect(commands).toEqual([{ type: CommandType.CompleteWorkflow, result: 'ActivityFailure CardDeclined: declined' }]);
    expect(calls).toBe(0);
  });

  it('fail with NonDeterminismError naming both activities when the code calls b where history recorded a', async () => {
    const error = await rejection(replayHistory(Swapped, markersHistory(), [Lookups]));
    expect(error.message).toContain('local activity #1 is b but history recorded a (event 3)');
    expect(calls).toBe(0);
  });

  it('fail with NonDeterminismError when the code calls a local activity where history recorded none', async () => {
    const recorded = history(started(null, 'sleeper'), taskCompleted(1), timerStarted(1, 1000), timerFired(1, 3));
    expect(await replayHistory(Sleeper, recorded, [Lookups])).toEqual([{ type: CommandType.CompleteWorkflow, result: 'slept' }]);
    const error = await rejection(replayHistory(LookupBeforeSleeping, recorded, [Lookups]));
    expect(error.message).toContain('Workflow task completed at event 2: local activity a #1 was not in history');
    expect(calls).toBe(0);
  });

  it('fail with NonDeterminismError when a recorded local activity is now an ordinary one', async () => {
    const error = await rejection(replayHistory(MadeOrdinary, markersHistory(), [Lookups]));
    expect(error.message).toContain('SCHEDULE_ACTIVITY a #1 but history recorded MARKER_RECORDED local_activity #1 (event 3)');
  });

  it('replay a call that fell back to an ordinary activity from its ACTIVITY_TASK_SCHEDULED and its result', async () => {
    // a outlasted the first task's budget: scheduled as an ordinary activity with the same id; b ran locally in the next task.
    const recorded = history(
      started(null, 'lookup'), // 1
      taskCompleted(1), // 2
      scheduled(1, 'a', [1]), // 3
      { event_type: EventType.ActivityTaskStarted, attributes: { scheduled_event_id: 3, activity_id: 1, attempt: 1, worker_name: 'w' } }, // 4
      completed(3, 1, 'a1 the slow way'), // 5
      taskCompleted(5), // 6
      localMarker(2, 'b', { result: 'b2' }), // 7
      timerStarted(1, 1000), // 8
      timerFired(1, 8), // 9
    );
    expect(await replayHistory(Recorded, recorded, [Lookups])).toEqual([{ type: CommandType.CompleteWorkflow, result: 'a1 the slow way+b2' }]);
    // The same history up to the fallback's result: the code waits for it, and calls nothing else yet.
    expect(await replayHistory(Recorded, recorded.slice(0, 4), [Lookups])).toEqual([]);
    expect(calls).toBe(0);
  });
});
