import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { WorkflowsClient } from './client/workflows-client.js';
import type { ResolvedWorkflowsOptions } from './options/workflows-options.js';
import { WorkflowsModule } from './workflows.module.js';
import { RESOLVED_WORKFLOWS_OPTIONS } from './workflows.constants.js';

@Injectable()
class ConfigSource {
  readonly url = 'http://127.0.0.1:9';
}

@Module({ providers: [ConfigSource], exports: [ConfigSource] })
class ConfigModule {}

@Injectable()
class NeedsClient {
  constructor(readonly client: WorkflowsClient) {}
}

describe('WorkflowsModule', () => {
  it('takes its options from forRootAsync and makes WorkflowsClient injectable everywhere', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        WorkflowsModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigSource],
          useFactory: (config: ConfigSource) => ({ serverUrl: config.url, apiKey: 'k', worker: false, deploymentName: 'blue' }),
        }),
      ],
      providers: [NeedsClient],
    }).compile();
    await moduleRef.init();
    try {
      const options = moduleRef.get<ResolvedWorkflowsOptions>(RESOLVED_WORKFLOWS_OPTIONS);
      expect(options).toMatchObject({ serverUrl: 'http://127.0.0.1:9', apiKey: 'k', worker: false, deploymentName: 'blue' });
      expect(moduleRef.get(NeedsClient).client).toBeInstanceOf(WorkflowsClient);
    } finally {
      await moduleRef.close();
    }
  });

  it('refuses to start with invalid options, listing every problem', async () => {
    const error = await Test.createTestingModule({
      imports: [WorkflowsModule.forRoot({ serverUrl: 'not a url', maxConcurrentWorkflowTasks: -1 })],
    })
      .compile()
      .catch((thrown: unknown) => thrown as Error);
    expect((error as Error).message).toContain("serverUrl (SERVER_URL) must be an http:// or https:// URL, got 'not a url'");
    expect((error as Error).message).toContain('apiKey (MISTRAL_API_KEY) is required when serverUrl (SERVER_URL) is set');
    expect((error as Error).message).toMatch(/maxConcurrentWorkflowTasks \(WORKFLOWS_MAX_CONCURRENT_WORKFLOW_TASKS\) must be a whole number >= 1, got -1/);
  });
});
