import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Activity, Run, Workflow, WorkflowContext, WorkflowFailedError } from '#workflows/sdk';
import { TestWorkflowEnvironment } from './index.js';

/** A dependency no test provides: a mocked activity must not need it. */
class PaymentGateway {
  charge(amount: number): string {
    return `real-${amount}`;
  }
}

@Injectable()
class Billing {
  constructor(private readonly gateway: PaymentGateway) {}

  @Activity({ retry: { initialInterval: '1h', maximumAttempts: 3 } })
  async charge(amount: number): Promise<string> {
    return this.gateway.charge(amount);
  }

  @Activity({ name: 'issue-refund' })
  async refund(receipt: string): Promise<string> {
    return `refunded ${receipt}`;
  }
}

@Workflow({ name: 'checkout' })
class CheckoutWorkflow {
  constructor(private readonly billing: Billing) {}

  @Run()
  async run(amount: number): Promise<string> {
    return this.billing.charge(amount);
  }
}

@Workflow({ name: 'charge-and-refund' })
class ChargeAndRefundWorkflow {
  constructor(
    private readonly ctx: WorkflowContext,
    private readonly billing: Billing,
  ) {}

  @Run()
  async run(amount: number): Promise<string[]> {
    const receipt = await this.billing.charge(amount);
    return [receipt, await this.billing.refund(receipt)];
  }
}

describe('activity mocks', () => {
  let env: TestWorkflowEnvironment | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('replace an activity of a provider the workflow injects, without its dependencies', async () => {
    const calls: number[] = [];
    env = await TestWorkflowEnvironment.create({
      workflows: [CheckoutWorkflow],
      activityMocks: {
        charge: async (amount: number) => {
          calls.push(amount);
          return `mocked-${amount}`;
        },
      },
    });
    await expect(env.client.execute(CheckoutWorkflow, { input: 42 })).resolves.toBe('mocked-42');
    expect(calls).toEqual([42]);
  });

  it('keep the real methods of a provider listed in activities, by activity name', async () => {
    env = await TestWorkflowEnvironment.create({
      workflows: [ChargeAndRefundWorkflow],
      activities: [Billing],
      providers: [PaymentGateway],
      activityMocks: { charge: () => 'mocked-7' },
    });
    await expect(env.client.execute(ChargeAndRefundWorkflow, { input: 7 })).resolves.toEqual(['mocked-7', 'refunded mocked-7']);
  });

  it('are retried by the activity’s policy, its backoff skipped', async () => {
    let attempts = 0;
    env = await TestWorkflowEnvironment.create({
      workflows: [CheckoutWorkflow],
      activityMocks: {
        charge: (amount: number) => {
          if (++attempts === 1) throw new Error('gateway down');
          return `charged-${amount}`;
        },
      },
    });
    const started = env.now();
    await expect(env.client.execute(CheckoutWorkflow, { input: 3 })).resolves.toBe('charged-3');
    expect(attempts).toBe(2);
    expect(env.now() - started).toBeGreaterThanOrEqual(3_600_000);
  });

  it('fail an activity of an injected provider that has no mock, naming it', async () => {
    env = await TestWorkflowEnvironment.create({
      workflows: [ChargeAndRefundWorkflow],
      activityMocks: { charge: () => 'mocked-1' },
    });
    const failure = env.client.execute(ChargeAndRefundWorkflow, { input: 1 });
    await expect(failure).rejects.toBeInstanceOf(WorkflowFailedError);
    await expect(failure).rejects.toThrow(/'issue-refund' \(Billing\.refund\) has no mock/);
  });

  it('must each name an activity of the workflows or activities', async () => {
    await expect(TestWorkflowEnvironment.create({ workflows: [CheckoutWorkflow], activityMocks: { chrage: () => 'typo' } })).rejects.toThrow(
      "activityMocks name no activity of the workflows or activities given: 'chrage' (known: charge, issue-refund)",
    );
  });
});
