import 'reflect-metadata';
import { Injectable, type Type } from '@nestjs/common';
import { CommandType } from '#workflows/protocol';
import { Activity } from '../decorators/activity.decorator.js';
import { Run } from '../decorators/run.decorator.js';
import { Workflow } from '../decorators/workflow.decorator.js';
import { addActivityProvider, addWorkflowClass } from '../discovery/registry.builder.js';
import { WorkflowRegistry } from '../discovery/workflow-registry.js';
import { NonDeterminismError } from '../errors/non-determinism.error.js';
import { WorkflowContext } from './workflow-context.js';
import { replayWorkflowTask } from './workflow-replayer.js';
import { WorkflowRun } from './workflow-run.js';
import { completed, history, marker, scheduled, started as startedWith, taskCompleted } from '../testing/history.builders.js';

@Injectable()
class Billing {
  @Activity() async check(): Promise<string> {
    return 'checked';
  }
  @Activity() async charge(): Promise<string> {
    return 'charged';
  }
}

@Workflow({ name: 'clock' })
class ClockWorkflow {
  constructor(
    private readonly ctx: WorkflowContext,
    private readonly billing: Billing,
  ) {}
  @Run() async run(): Promise<{ before: string; after: string; random: number; uuid: string }> {
    const before = this.ctx.now().toISOString();
    const random = this.ctx.random();
    const uuid = this.ctx.uuid();
    await this.billing.charge();
    return { before, after: this.ctx.now().toISOString(), random, uuid };
  }
}

let sideEffectCalls = 0;
@Workflow({ name: 'side-effect' })
class SideEffectWorkflow {
  constructor(
    private readonly ctx: WorkflowContext,
    private readonly billing: Billing,
  ) {}
  @Run() async run(): Promise<string> {
    const token = this.ctx.sideEffect(() => `token-${++sideEffectCalls}`);
    await this.billing.charge();
    return token;
  }
}

/** The old code: charge only. */
@Workflow({ name: 'billing' })
class OldBilling {
  constructor(private readonly billing: Billing) {}
  @Run() async run(): Promise<string> {
    return this.billing.charge();
  }
}

/** The change: check before charging, behind a patch. */
@Workflow({ name: 'billing' })
class PatchedBilling {
  constructor(
    private readonly ctx: WorkflowContext,
    private readonly billing: Billing,
  ) {}
  @Run() async run(): Promise<string> {
    if (this.ctx.patched('check-first')) await this.billing.check();
    return this.billing.charge();
  }
}

/** The patch retired: only the new path, still replaying runs that recorded the patch. */
@Workflow({ name: 'billing' })
class DeprecatedPatchBilling {
  constructor(
    private readonly ctx: WorkflowContext,
    private readonly billing: Billing,
  ) {}
  @Run() async run(): Promise<string> {
    this.ctx.deprecatePatch('check-first');
    await this.billing.check();
    return this.billing.charge();
  }
}

/** The call removed entirely. */
@Workflow({ name: 'billing' })
class PatchRemovedBilling {
  constructor(private readonly billing: Billing) {}
  @Run() async run(): Promise<string> {
    await this.billing.check();
    return this.billing.charge();
  }
}

const at = (second: number): string => `2026-01-01T00:00:${String(second).padStart(2, '0')}.000Z`;
const started = (name: string) => startedWith(null, name, 'run-1');

function runOf(workflow: Type, runId = 'run-1'): WorkflowRun {
  const registry = new WorkflowRegistry();
  const problems: string[] = [];
  addActivityProvider(registry, Billing, true, problems);
  addWorkflowClass(registry, workflow, problems);
  expect(problems).toEqual([]);
  const definition = [...registry.workflows.values()][0]!;
  return new WorkflowRun(definition, registry, { workflowName: definition.name, executionId: 'e1', runId, taskAttempt: 1 });
}

describe('deterministic helpers', () => {
  it('now() is the time of the last event the task saw; random() and uuid() follow the run id; replays agree', async () => {
    const recorded = history(
      started('clock'), // 1 at :00
      taskCompleted(1), // 2
      scheduled(1, 'charge'), // 3
      { ...completed(3, 1, 'charged'), at: at(30) }, // 4 at :30
    );
    const first = await replayWorkflowTask(runOf(ClockWorkflow), recorded);
    const second = await replayWorkflowTask(runOf(ClockWorkflow), recorded);
    expect(first).toEqual(second);
    const result = (first[0] as unknown as { result: { before: string; after: string; random: number; uuid: string } }).result;
    expect(result.before).toBe(at(0));
    expect(result.after).toBe(at(30));
    expect(result.random).toBeGreaterThanOrEqual(0);
    expect(result.random).toBeLessThan(1);
    expect(result.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const otherRun = await replayWorkflowTask(runOf(ClockWorkflow, 'run-2'), recorded);
    expect((otherRun[0] as unknown as { result: { random: number } }).result.random).not.toBe(result.random);
  });

  it('sideEffect() runs once and records its value; replay returns the recorded value without running it', async () => {
    sideEffectCalls = 0;
    expect(await replayWorkflowTask(runOf(SideEffectWorkflow), history(started('side-effect')))).toEqual([
      { type: CommandType.RecordMarker, marker_name: 'side_effect', details: { seq: 1, value: 'token-1' } },
      expect.objectContaining({ type: CommandType.ScheduleActivity, activity_name: 'charge' }),
    ]);
    const recorded = history(
      started('side-effect'),
      taskCompleted(1),
      marker('side_effect', { seq: 1, value: 'token-1' }),
      scheduled(1, 'charge'),
      completed(4, 1, 'charged'),
    );
    expect(await replayWorkflowTask(runOf(SideEffectWorkflow), recorded)).toEqual([{ type: CommandType.CompleteWorkflow, result: 'token-1' }]);
    expect(sideEffectCalls).toBe(1);
  });

  it('refuses an asynchronous side effect', async () => {
    @Workflow({ name: 'async-side-effect' })
    class AsyncSideEffect {
      constructor(private readonly ctx: WorkflowContext) {}
      @Run() async run(): Promise<unknown> {
        return this.ctx.sideEffect(async () => 1);
      }
    }
    const [command] = await replayWorkflowTask(runOf(AsyncSideEffect), history(started('async-side-effect')));
    expect(command).toMatchObject({ type: CommandType.FailWorkflow, failure: { message: 'sideEffect() takes a synchronous function; do I/O in an activity' } });
  });
});

describe('patching a workflow that has running executions', () => {
  /** A run the old code started: it scheduled charge without a check. */
  const oldRun = history(started('billing'), taskCompleted(1), scheduled(1, 'charge'));
  /** A run the patched code started: patch marker, check, then charge. */
  const newRun = history(
    started('billing'), // 1
    taskCompleted(1), // 2
    marker('patch', { patch_id: 'check-first', deprecated: false }), // 3
    scheduled(1, 'check'), // 4
    completed(4, 1, 'checked'), // 5
    taskCompleted(5), // 6
    scheduled(2, 'charge'), // 7
  );

  it('the unpatched change breaks the old run; patched() keeps it on the old path', async () => {
    await expect(replayWorkflowTask(runOf(PatchRemovedBilling), oldRun)).rejects.toThrow(NonDeterminismError);
    await expect(replayWorkflowTask(runOf(PatchedBilling), oldRun)).resolves.toEqual([]);
  });

  it('a new run takes the new path and records the patch; its replay takes it again', async () => {
    expect(await replayWorkflowTask(runOf(PatchedBilling), history(started('billing')))).toEqual([
      { type: CommandType.RecordMarker, marker_name: 'patch', details: { patch_id: 'check-first', deprecated: false } },
      expect.objectContaining({ type: CommandType.ScheduleActivity, activity_name: 'check' }),
    ]);
    await expect(replayWorkflowTask(runOf(PatchedBilling), newRun)).resolves.toEqual([]);
  });

  it('retiring the patch: deprecatePatch() and then no call at all still replay runs that recorded it', async () => {
    await expect(replayWorkflowTask(runOf(DeprecatedPatchBilling), newRun)).resolves.toEqual([]);
    await expect(replayWorkflowTask(runOf(PatchRemovedBilling), newRun)).resolves.toEqual([]);
    expect(await replayWorkflowTask(runOf(DeprecatedPatchBilling), history(started('billing')))).toEqual([
      { type: CommandType.RecordMarker, marker_name: 'patch', details: { patch_id: 'check-first', deprecated: true } },
      expect.objectContaining({ type: CommandType.ScheduleActivity, activity_name: 'check' }),
    ]);
  });

  it('the old code fails to replay a run that took the new path', async () => {
    await expect(replayWorkflowTask(runOf(OldBilling), newRun)).rejects.toThrow(/command #1 is SCHEDULE_ACTIVITY charge #1 but history recorded ACTIVITY_TASK_SCHEDULED check #1/);
  });
});
