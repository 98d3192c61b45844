import 'reflect-metadata';
import { filter, firstValueFrom } from 'rxjs';
import { z } from 'zod';
import type { ExecutionWire } from '#workflows/protocol';
import {
  ChildWorkflowFailure,
  ParentClosePolicy,
  Run,
  Signal,
  StartChildWorkflowFailure,
  Workflow,
  WorkflowContext,
} from '#workflows/sdk';
import { TestWorkflowEnvironment, replayHistory } from './index.js';

const DAY = 86_400_000;

@Workflow({ name: 'child-adder', input: z.object({ a: z.number(), b: z.number() }) })
class AdderWorkflow {
  constructor(private readonly ctx: WorkflowContext) {}

  @Run()
  async run(input: { a: number; b: number }): Promise<{ sum: number; parent: string | null; root: string }> {
    if (input.a < 0) throw new Error(`cannot add negative ${input.a}`);
    return { sum: input.a + input.b, parent: this.ctx.info.parentExecutionId, root: this.ctx.info.rootExecutionId };
  }
}

/** Waits for a `release` signal, up to 30 days (or for ever); a cancellation ends it CANCELED. */
@Workflow({ name: 'child-waiter' })
class WaiterWorkflow {
  private released = false;
  constructor(private readonly ctx: WorkflowContext) {}

  @Run()
  async run(wait: 'forever' | null): Promise<string> {
    const released = wait === 'forever' ? this.ctx.condition(() => this.released) : this.ctx.condition(() => this.released, '30d');
    return (await released) ? 'released' : 'gave up';
  }

  @Signal()
  release(): void {
    this.released = true;
  }
}

/** Starts children as its input says and reports what happened. */
@Workflow({ name: 'child-parent' })
class ParentWorkflow {
  private finished = false;
  constructor(private readonly ctx: WorkflowContext) {}

  @Signal()
  finish(): void {
    this.finished = true;
  }

  @Run()
  async run(plan: { kind: string; policy?: ParentClosePolicy; id?: string }): Promise<unknown> {
    switch (plan.kind) {
      case 'sum': {
        const [first, second] = await Promise.all([
          this.ctx.executeChild<{ sum: number; parent: string | null; root: string }>(AdderWorkflow, { input: { a: 1, b: 2 } }),
          this.ctx.executeChild<{ sum: number }>('child-adder', { input: { a: 10, b: 20 }, executionId: plan.id }),
        ]);
        return { first, second: second.sum };
      }
      case 'failure':
        return this.caught(() => this.ctx.executeChild(AdderWorkflow, { input: { a: -1, b: 0 } }));
      case 'unregistered':
        return this.caught(() => this.ctx.executeChild('no-such-workflow', { input: 1 }));
      case 'invalid-input':
        return this.caught(() => this.ctx.executeChild(AdderWorkflow, { input: { a: 'one' } }));
      case 'taken':
        return this.caught(() => this.ctx.executeChild(AdderWorkflow, { input: { a: 1, b: 1 }, executionId: plan.id }));
      case 'elsewhere':
        return this.caught(() => this.ctx.executeChild(AdderWorkflow, { input: { a: 1, b: 1 }, deploymentName: 'elsewhere' }));
      case 'bad-id':
        return this.caught(() => this.ctx.executeChild(AdderWorkflow, { input: { a: 1, b: 1 }, executionId: '' }));
      case 'leave-on-signal': {
        await this.ctx.startChild(WaiterWorkflow, { executionId: plan.id, input: 'forever' });
        await this.ctx.condition(() => this.finished);
        return 'finished';
      }
      case 'leave': {
        // No timer: the test clock has nothing to skip to while the child waits.
        const child = await this.ctx.startChild(WaiterWorkflow, { executionId: plan.id, parentClosePolicy: plan.policy, input: 'forever' });
        return child.executionId;
      }
      case 'cancel-child': {
        const child = await this.ctx.startChild(WaiterWorkflow, { executionId: plan.id });
        child.cancel();
        return this.caught(() => child.result());
      }
      case 'await-waiter':
        return this.ctx.executeChild(WaiterWorkflow, { executionId: plan.id });
      default:
        throw new Error(`unknown plan ${plan.kind}`);
    }
  }

  private async caught(work: () => Promise<unknown>): Promise<unknown> {
    try {
      return { ok: await work() };
    } catch (error) {
      if (error instanceof StartChildWorkflowFailure) return { startFailed: error.type, message: error.message };
      if (error instanceof ChildWorkflowFailure) return { childFailed: error.status, cause: (error.cause as Error).message };
      throw error;
    }
  }
}

describe('child workflows (platform and worker in the test environment)', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await TestWorkflowEnvironment.create({ workflows: [ParentWorkflow, AdderWorkflow, WaiterWorkflow] });
  });
  afterAll(() => env.close());

  const execution = (id: string): Promise<ExecutionWire> => env.client.getHandle(id).describe();

  it('runs children as executions of their own, naming their parent and root, and returns their results', async () => {
    const handle = await env.client.start(ParentWorkflow, { input: { kind: 'sum', id: 'sum-second' }, executionId: 'sum-parent' });
    const result = (await handle.result()) as { first: { sum: number; parent: string; root: string }; second: number };
    expect(result).toEqual({ first: { sum: 3, parent: 'sum-parent', root: 'sum-parent' }, second: 30 });
    expect(await execution('sum-second')).toMatchObject({ status: 'COMPLETED', parent_execution_id: 'sum-parent', root_execution_id: 'sum-parent' });
    const history = await handle.history();
    const types = history.map((event) => event.event_type);
    expect(types.filter((type) => type === 'CHILD_WORKFLOW_EXECUTION_COMPLETED')).toHaveLength(2);
    // The recorded history replays against the code: the child commands match.
    await expect(replayHistory(ParentWorkflow, history)).resolves.toBeDefined();
  });

  it("gives the parent a child's failure as ChildWorkflowFailure, its cause the child's error", async () => {
    await expect(env.client.execute(ParentWorkflow, { input: { kind: 'failure' } })).resolves.toEqual({
      childFailed: 'FAILED',
      cause: 'cannot add negative -1',
    });
  });

  it('fails the start by name when no worker registered the child, its input is invalid, or its id is taken', async () => {
    await expect(env.client.execute(ParentWorkflow, { input: { kind: 'unregistered' } })).resolves.toMatchObject({
      startFailed: 'WorkflowNotFound',
      message: expect.stringContaining("'no-such-workflow' is not registered"),
    });
    await expect(env.client.execute(ParentWorkflow, { input: { kind: 'invalid-input' } })).resolves.toMatchObject({
      startFailed: 'InvalidInput',
      message: expect.stringContaining('input.a'),
    });
    await expect(env.client.execute(ParentWorkflow, { input: { kind: 'elsewhere' } })).resolves.toMatchObject({
      startFailed: 'WorkflowNotFound',
      message: expect.stringContaining("in deployment 'elsewhere'"),
    });
    // An id the platform would refuse never leaves the workflow task: the workflow gets a TypeError naming the option.
    await expect(env.client.execute(ParentWorkflow, { input: { kind: 'bad-id' } })).rejects.toThrow(/startChild\(child-adder\): executionId must not be empty/);
    await env.client.execute(AdderWorkflow, { input: { a: 0, b: 0 }, executionId: 'already-here' });
    await expect(env.client.execute(ParentWorkflow, { input: { kind: 'taken', id: 'already-here' } })).resolves.toMatchObject({
      startFailed: 'WorkflowExecutionAlreadyStarted',
    });
  });

  it.each([
    [ParentClosePolicy.Terminate, 'TERMINATED'],
    [ParentClosePolicy.RequestCancel, 'CANCELED'],
    [ParentClosePolicy.Abandon, 'RUNNING'],
  ])('applies the parent close policy %s to a child still running when the parent completes', async (policy, status) => {
    const id = `left-${policy}`;
    await expect(env.client.execute(ParentWorkflow, { input: { kind: 'leave', policy, id } })).resolves.toBe(id);
    const child = env.client.getHandle(id);
    if (status === 'CANCELED') await expect(child.result()).rejects.toThrow(/CANCELED/);
    expect((await child.describe()).status).toBe(status);
    if (status === 'RUNNING') {
      await child.signal('release');
      await expect(child.result()).resolves.toBe('released');
    }
  });

  it("asks a child to cancel from its handle, and the parent's cancellation reaches its children", async () => {
    await expect(env.client.execute(ParentWorkflow, { input: { kind: 'cancel-child', id: 'cancelled-child' } })).resolves.toMatchObject({
      childFailed: 'CANCELED',
    });
    const parent = await env.client.start(ParentWorkflow, { input: { kind: 'await-waiter', id: 'waiting-child' } });
    await firstValueFrom(parent.events$.pipe(filter((event) => event.event_type === 'CHILD_WORKFLOW_EXECUTION_STARTED')));
    const child = env.client.getHandle('waiting-child');
    await parent.cancel();
    await expect(parent.result()).rejects.toThrow(/CANCELED/);
    expect((await child.describe()).status).toBe('CANCELED');
    // The child's cancellation, escaping the parent's @Run(), ends the parent CANCELED, not FAILED.
    expect((await parent.describe()).status).toBe('CANCELED');
  });

  it("wakes a client waiting on a child's result when its parent's close terminates it", async () => {
    const parent = await env.client.start(ParentWorkflow, { input: { kind: 'leave-on-signal', id: 'watched-child' } });
    await firstValueFrom(parent.events$.pipe(filter((event) => event.event_type === 'CHILD_WORKFLOW_EXECUTION_STARTED')));
    const childResult = env.client.getHandle('watched-child').result();
    childResult.catch(() => undefined);
    // The signal, the parent's workflow task and its completion take several round trips: the
    // child's result wait is held open at the platform before the parent's close terminates it.
    await parent.signal('finish');
    await expect(parent.result()).resolves.toBe('finished');
    await expect(childResult).rejects.toThrow(/TERMINATED/);
  });

  it('lets a child sleep 30 days in the test clock', async () => {
    const started = env.now();
    await expect(env.client.execute(ParentWorkflow, { input: { kind: 'await-waiter', id: 'month-child' } })).resolves.toBe('gave up');
    expect(env.now() - started).toBeGreaterThanOrEqual(30 * DAY);
  });
});
