import 'reflect-metadata';
import { Global, Injectable, Module, Scope } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { Activity } from '../decorators/activity.decorator.js';
import { Run } from '../decorators/run.decorator.js';
import { Workflow } from '../decorators/workflow.decorator.js';
import { WorkflowContext } from '../runtime/workflow-context.js';
import { WorkflowRegistry } from './workflow-registry.js';
import { WorkflowsExplorer } from './workflows.explorer.js';
import { WorkflowsDiscoveryError } from './workflows-discovery.error.js';

@Injectable()
class MailService {
  send(): void {}
}

@Injectable()
class GoodActivities {
  constructor(readonly mail: MailService) {}
  @Activity() async sendMail(to: string): Promise<string> {
    return to;
  }
  @Activity({ name: 'charge', startToCloseTimeout: '1m' }) async chargeCard(): Promise<void> {}
  helper(): void {}
}

@Injectable()
class OtherActivities {
  @Activity() async sendMail(): Promise<void> {}
  @Activity({ startToCloseTimeout: 'soon' as never }) async badTimeout(): Promise<void> {}
}

@Workflow({ name: 'good' })
class GoodWorkflow {
  constructor(
    readonly ctx: WorkflowContext,
    readonly activities: GoodActivities,
  ) {}
  @Run() async run(): Promise<void> {}
}

@Workflow()
class NoRunWorkflow {}

@Workflow({ name: 'good' })
class DuplicateNameWorkflow {
  @Run() async run(): Promise<void> {}
}

@Workflow()
class TwoRunsWorkflow {
  @Run() async a(): Promise<void> {}
  @Run() async b(): Promise<void> {}
}

@Workflow()
class InjectsServiceWorkflow {
  constructor(readonly mail: MailService) {}
  @Run() async run(): Promise<void> {}
}

// Workflows inject WorkflowContext; WorkflowsModule provides it globally and request-scoped, so does this fixture.
@Global()
@Module({
  providers: [{ provide: WorkflowContext, scope: Scope.REQUEST, useFactory: () => null }],
  exports: [WorkflowContext],
})
class ContextModule {}

async function explore(providers: unknown[]): Promise<WorkflowRegistry> {
  @Module({ imports: [DiscoveryModule], providers: [WorkflowsExplorer, MailService, ...(providers as never[])] })
  class FixtureModule {}
  const moduleRef = await Test.createTestingModule({ imports: [ContextModule, FixtureModule] }).compile();
  try {
    return moduleRef.get(WorkflowsExplorer).explore(new WorkflowRegistry());
  } finally {
    await moduleRef.close();
  }
}

describe('WorkflowsExplorer', () => {
  it('registers workflows and activities with their names, run method and constructor wiring', async () => {
    const registry = await explore([GoodWorkflow, GoodActivities]);
    expect([...registry.workflows.keys()]).toEqual(['good']);
    const workflow = registry.workflows.get('good')!;
    expect(workflow.runMethod).toBe('run');
    expect(workflow.params).toEqual([{ kind: 'context' }, { kind: 'activities', provider: GoodActivities }]);
    expect([...registry.activities.keys()].sort()).toEqual(['charge', 'sendMail']);
    expect(registry.activityOf(GoodActivities, 'chargeCard')?.name).toBe('charge');
    expect(registry.activityOf(GoodActivities, 'helper')).toBeUndefined();
    expect(registry.activities.get('sendMail')!.isStatic).toBe(true);
  });

  it('fails with one error that lists every problem', async () => {
    const error = await explore([
      GoodWorkflow,
      GoodActivities,
      OtherActivities,
      NoRunWorkflow,
      DuplicateNameWorkflow,
      TwoRunsWorkflow,
      InjectsServiceWorkflow,
    ]).then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(WorkflowsDiscoveryError);
    const problems = (error as WorkflowsDiscoveryError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/duplicate activity name 'sendMail': GoodActivities.sendMail and OtherActivities.sendMail/),
        expect.stringMatching(/activity OtherActivities.badTimeout: startToCloseTimeout must look like/),
        expect.stringMatching(/workflow NoRunWorkflow has no @Run\(\) method/),
        expect.stringMatching(/duplicate workflow name 'good': GoodWorkflow and DuplicateNameWorkflow/),
        expect.stringMatching(/workflow TwoRunsWorkflow has 2 @Run\(\) methods/),
        expect.stringMatching(/workflow InjectsServiceWorkflow constructor parameter #0 \(MailService\)/),
      ]),
    );
    expect(problems).toHaveLength(6);
    expect((error as Error).message).toContain('found 6 problem(s)');
  });
});
