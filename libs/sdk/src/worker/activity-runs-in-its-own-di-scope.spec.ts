import 'reflect-metadata';
import { Global, Injectable, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import type { ActivityTaskWire } from '#workflows/protocol';
import { ActivityContext } from '../activity/activity-context.js';
import { activityContextProvider } from '../activity/activity-context.provider.js';
import { Activity } from '../decorators/activity.decorator.js';
import { WorkflowRegistry } from '../discovery/workflow-registry.js';
import { WorkflowsExplorer } from '../discovery/workflows.explorer.js';
import { ApplicationFailure } from '../errors/application-failure.js';
import { ActivityTaskExecutor } from './activity-task.executor.js';

@Injectable()
class Counter {
  instances = 0;
}

@Injectable()
class ScopedActivities {
  constructor(
    private readonly context: ActivityContext,
    counter: Counter,
  ) {
    counter.instances++;
  }
  @Activity() async whoAmI(prefix: string): Promise<string> {
    return `${prefix}:${this.context.info.executionId}:${this.context.info.activityName}:${this.context.attempt}`;
  }
}

@Injectable()
class PlainActivities {
  @Activity() async fail(kind: string): Promise<unknown> {
    if (kind === 'string') throw 'plain string';
    if (kind === 'fatal') throw ApplicationFailure.nonRetryable('no way', 'Fatal', { reason: 'x' });
    if (kind === 'bigint') return { amount: 10n };
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    return cyclic;
  }
}

@Global()
@Module({ providers: [activityContextProvider], exports: [activityContextProvider] })
class ContextModule {}

function task(activityName: string, executionId: string, input: unknown[], attempt = 1): ActivityTaskWire {
  return {
    kind: 'activity',
    task_token: 'a1.1',
    execution_id: executionId,
    run_id: 'r',
    workflow_name: 'wf',
    activity_id: 1,
    activity_name: activityName,
    scheduled_event_id: 3,
    input: input as never,
    attempt,
    start_to_close_timeout_ms: 1000,
    heartbeat_timeout_ms: 0,
    heartbeat_details: null,
  };
}

describe('ActivityTaskExecutor', () => {
  let moduleRef: TestingModule;
  let executor: ActivityTaskExecutor;
  const signal = new AbortController().signal;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [DiscoveryModule, ContextModule],
      providers: [WorkflowsExplorer, WorkflowRegistry, ActivityTaskExecutor, Counter, ScopedActivities, PlainActivities],
    }).compile();
    moduleRef.get(WorkflowsExplorer).explore(moduleRef.get(WorkflowRegistry));
    executor = moduleRef.get(ActivityTaskExecutor);
  });

  afterAll(() => moduleRef.close());

  it('resolves a provider that injects ActivityContext once per task, with that task’s context', async () => {
    const before = moduleRef.get(Counter).instances;
    const [a, b] = await Promise.all([
      executor.execute(task('whoAmI', 'exec-A', ['x']), signal),
      executor.execute(task('whoAmI', 'exec-B', ['y'], 2), signal),
    ]);
    expect(a).toEqual({ result: 'x:exec-A:whoAmI:1' });
    expect(b).toEqual({ result: 'y:exec-B:whoAmI:2' });
    expect(moduleRef.get(Counter).instances - before).toBe(2);
  });

  it('records thrown non-Error values and ApplicationFailure details as structured failures', async () => {
    expect(await executor.execute(task('fail', 'e', ['string']), signal)).toEqual({
      failure: { type: 'ThrownString', message: 'plain string' },
    });
    const fatal = await executor.execute(task('fail', 'e', ['fatal']), signal);
    expect(fatal).toMatchObject({ failure: { type: 'Fatal', message: 'no way', non_retryable: true, details: { reason: 'x' } } });
  });

  it('fails an unserializable result with a non-retryable error naming the path', async () => {
    expect(await executor.execute(task('fail', 'e', ['bigint']), signal)).toMatchObject({
      failure: { type: 'PayloadSerializationError', non_retryable: true, message: expect.stringContaining('fail result.amount') },
    });
    expect(await executor.execute(task('fail', 'e', ['cyclic']), signal)).toMatchObject({
      failure: { message: expect.stringMatching(/fail result\.self: circular reference/) },
    });
  });

  it('answers a task for an activity this worker lacks with a named failure', async () => {
    expect(await executor.execute(task('nope', 'e', []), signal)).toMatchObject({
      failure: { type: 'ActivityNotRegistered', non_retryable: true },
    });
  });
});
