import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { filter, firstValueFrom } from 'rxjs';
import { Activity, Run, Signal, Update, Workflow, WorkflowContext } from '#workflows/sdk';
import { TestWorkflowEnvironment } from './index.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

@Injectable()
class Reminders {
  @Activity()
  async remind(who: string): Promise<string> {
    return `reminded ${who}`;
  }

  /** Takes 200 ms of real time, with 1 s to do it and no second attempt. */
  @Activity({ startToCloseTimeout: '1s', retry: { maximumAttempts: 1 } })
  async slowEcho(text: string): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, 200));
    return text;
  }
}

@Workflow({ name: 'month-later' })
class MonthLaterWorkflow {
  constructor(
    private readonly ctx: WorkflowContext,
    private readonly reminders: Reminders,
  ) {}

  @Run()
  async run(who: string): Promise<{ message: string; sentAt: number }> {
    await this.ctx.sleep('30d');
    const message = await this.reminders.remind(who);
    return { message, sentAt: this.ctx.now().getTime() };
  }
}

@Workflow({ name: 'approval' })
class ApprovalWorkflow {
  private approved = false;
  constructor(private readonly ctx: WorkflowContext) {}

  /** Approves after a day's review. */
  @Update()
  async approveAfterReview(): Promise<number> {
    await this.ctx.sleep('1d');
    this.approved = true;
    return this.ctx.now().getTime();
  }

  @Run()
  async run(): Promise<string> {
    return (await this.ctx.condition(() => this.approved, '7d')) ? 'approved' : 'expired';
  }

  @Signal()
  approve(): void {
    this.approved = true;
  }
}

@Workflow({ name: 'race-an-hour' })
class RaceAnHourWorkflow {
  constructor(
    private readonly ctx: WorkflowContext,
    private readonly reminders: Reminders,
  ) {}

  @Run()
  async run(): Promise<string> {
    const [echoed] = await Promise.all([this.reminders.slowEcho('done in time'), this.ctx.sleep('1h')]);
    return echoed;
  }
}

@Workflow({ name: 'nap' })
class NapWorkflow {
  constructor(private readonly ctx: WorkflowContext) {}

  @Run()
  async run(): Promise<number> {
    await this.ctx.sleep('1h');
    return this.ctx.now().getTime();
  }
}

describe('time skipping in the test environment', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await TestWorkflowEnvironment.create({
      workflows: [MonthLaterWorkflow, ApprovalWorkflow, RaceAnHourWorkflow, NapWorkflow],
      activities: [Reminders],
    });
  });
  afterAll(() => env.close());

  it('runs a workflow that sleeps 30 days, then calls an activity, at once', async () => {
    const started = env.now();
    const real = performance.now();
    const result = await env.client.execute<{ message: string; sentAt: number }>(MonthLaterWorkflow, { input: 'ada' });
    console.log(`30-day sleep took ${Math.round(performance.now() - real)} ms of real time`);
    expect(result.message).toBe('reminded ada');
    expect(result.sentAt - started).toBeGreaterThanOrEqual(30 * DAY);
    expect(env.now() - started).toBeGreaterThanOrEqual(30 * DAY);
    expect(env.now() - started).toBeLessThan(31 * DAY);
  });

  it('times a condition out after its 7 days', async () => {
    const started = env.now();
    const handle = await env.client.start(ApprovalWorkflow);
    await expect(handle.result()).resolves.toBe('expired');
    expect(env.now() - started).toBeGreaterThanOrEqual(7 * DAY);
  });

  it('does not skip while nobody waits, nor past a signal the worker has still to handle', async () => {
    const started = env.now();
    const handle = await env.client.start(ApprovalWorkflow);
    await firstValueFrom(handle.events$.pipe(filter((event) => event.event_type === 'TIMER_STARTED')));
    // The workflow waits on its 7-day timer and nothing runs, but nobody waits for a result: time stands.
    expect(env.now() - started).toBeLessThan(HOUR);
    await handle.signal('approve');
    await expect(handle.result()).resolves.toBe('approved');
    const types = (await handle.history()).map((event) => event.event_type);
    expect(types).not.toContain('TIMER_FIRED');
    expect(env.now() - started).toBeLessThan(HOUR);
  });

  it("skips while an update waits: a handler's one-day timer fires at once", async () => {
    const started = env.now();
    const handle = await env.client.start(ApprovalWorkflow);
    const approvedAt = await handle.update<number>('approveAfterReview');
    expect(approvedAt - started).toBeGreaterThanOrEqual(DAY);
    await expect(handle.result()).resolves.toBe('approved');
    expect(env.now() - started).toBeLessThan(7 * DAY);
  });

  it('does not skip while an activity runs: its start-to-close timeout would fire', async () => {
    const started = env.now();
    const handle = await env.client.start(RaceAnHourWorkflow);
    // A skip during the 200 ms attempt would fail it (1 s timeout, one attempt) and so the workflow.
    await expect(handle.result()).resolves.toBe('done in time');
    const events = await handle.history();
    const completed = events.find((event) => event.event_type === 'ACTIVITY_TASK_COMPLETED');
    const fired = events.find((event) => event.event_type === 'TIMER_FIRED');
    expect(completed).toBeDefined();
    expect(fired).toBeDefined();
    expect(events.indexOf(completed!)).toBeLessThan(events.indexOf(fired!));
    expect(env.now() - started).toBeGreaterThanOrEqual(HOUR);
  });

  it('moves time by hand with sleep(), firing the timers on the way', async () => {
    const started = env.now();
    const handle = await env.client.start(NapWorkflow);
    await env.sleep('2h');
    expect(env.now() - started).toBeGreaterThanOrEqual(2 * HOUR);
    const execution = await handle.describe();
    expect(execution.status).toBe('COMPLETED');
    expect((execution.result as number) - started).toBeGreaterThanOrEqual(HOUR);
    expect((execution.result as number) - started).toBeLessThan(2 * HOUR);
  });
});
