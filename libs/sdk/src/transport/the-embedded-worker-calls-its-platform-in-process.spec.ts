import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { CommandType, ErrorCode, Limits } from '#workflows/protocol';
import { InProcessWorkerProtocol, startPlatform, type RunningPlatform } from '#workflows/platform';
import { WorkflowsClient } from '../client/workflows-client.js';
import { Activity } from '../decorators/activity.decorator.js';
import { Run } from '../decorators/run.decorator.js';
import { Workflow } from '../decorators/workflow.decorator.js';
import { WorkflowsApiError } from '../errors/workflows-api.error.js';
import { runWorker } from '../run-worker.js';
import { HttpPlatformTransport } from './http-platform.transport.js';
import { InProcessPlatformTransport } from './in-process-platform.transport.js';
import { PlatformConnection } from './platform-connection.js';
import type { PlatformTransport } from './platform-transport.js';

@Injectable()
class Greetings {
  @Activity() async greet(name: string): Promise<string> {
    return `hello ${name}`;
  }
}

@Workflow({ name: 'greet' })
class GreetWorkflow {
  constructor(private readonly greetings: Greetings) {}
  @Run() async run(name: string): Promise<string> {
    return this.greetings.greet(name);
  }
}

const KEY = 'k-in-process-transport';
/** Nothing listens there: a call that went over HTTP would fail. */
const NOWHERE = 'http://127.0.0.1:9';

/** What a call rejected with: status and code, or `undefined` when it did not reject with an API error. */
async function refusal(call: Promise<unknown>): Promise<{ status: number; code: string } | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    return error instanceof WorkflowsApiError ? { status: error.status, code: error.code } : undefined;
  }
}

/**
 * Embedded mode (issue 11): the worker calls the platform running in its own process without
 * loopback HTTP, through the same validation and errors as the HTTP API.
 */
describe('the in-process worker transport', () => {
  let platform: RunningPlatform;
  let http: HttpPlatformTransport;
  let inProcess: InProcessPlatformTransport;

  beforeAll(async () => {
    platform = await startPlatform({ port: 0, databasePath: ':memory:', apiKeys: [{ key: KEY, namespace: 'ns' }], logger: false });
    http = new HttpPlatformTransport({ baseUrl: platform.url, apiKey: KEY });
    inProcess = new InProcessPlatformTransport({ baseUrl: NOWHERE, apiKey: KEY }, await InProcessWorkerProtocol.open(platform.app, KEY));
  });

  afterAll(async () => {
    await inProcess?.close();
    await http?.close();
    await platform?.close();
  });

  it('leases and completes tasks without touching HTTP', async () => {
    const session = await inProcess.register({
      worker_name: 'in-process',
      deployment_name: 'default',
      sdk_version: 'test',
      workflows: [{ name: 'greet' }],
      activities: [],
      max_concurrent_workflow_tasks: 1,
      max_concurrent_activity_tasks: 1,
    } as never);
    const client = new WorkflowsClient(http);
    const handle = await client.start('greet', { input: 'you' });
    const { tasks } = await inProcess.poll({ worker_id: session.worker_id, max_workflow_tasks: 1, max_activity_tasks: 0, wait_ms: 5000 });
    expect(tasks).toEqual([expect.objectContaining({ kind: 'workflow', execution_id: handle.executionId })]);
    await inProcess.complete({
      worker_id: session.worker_id,
      task_token: tasks[0]!.task_token,
      commands: [{ type: CommandType.CompleteWorkflow, result: 'hello you' }],
      next: { max_workflow_tasks: 0, max_activity_tasks: 0 },
    });
    expect(await handle.result()).toBe('hello you');
    expect(await inProcess.shutdownWorker(session.worker_id, [])).toEqual({ released: 0 });
  });

  it('is what an embedded worker uses, and runs its workflows', async () => {
    const worker = await runWorker([GreetWorkflow], {
      activities: [Greetings],
      apiKey: KEY,
      workerName: 'embedded',
      workflowThreads: 0,
      embedded: { port: 0, databasePath: ':memory:' },
    });
    try {
      expect(worker.app.get(PlatformConnection).transport).toBeInstanceOf(InProcessPlatformTransport);
      expect(await worker.app.get(WorkflowsClient).execute(GreetWorkflow, { input: 'embedded' })).toBe('hello embedded');
    } finally {
      await worker.stop();
    }
  });

  it.each<[string, (transport: PlatformTransport) => Promise<unknown>]>([
    ['a poll of an unknown session', (t) => t.poll({ worker_id: 'no-such-worker', max_workflow_tasks: 1, max_activity_tasks: 0, wait_ms: 100 })],
    ['a poll with a negative slot count', (t) => t.poll({ worker_id: 'w', max_workflow_tasks: -1, max_activity_tasks: 0 })],
    ['a completion with a malformed token', (t) => t.complete({ worker_id: 'w', task_token: 'not a token', commands: [] } as never)],
    ['a request over the size limit', (t) => t.fail({ worker_id: 'w', task_token: 'a1.1', failure: { type: 'X', message: 'x'.repeat(Limits.maxRequestBytes) } } as never)],
    ['a heartbeat of an unknown session', (t) => t.heartbeat('no-such-worker')],
    ['a body with a __proto__ key', (t) => t.complete(JSON.parse('{"worker_id":"w","task_token":"a1.1","commands":[],"__proto__":{"x":1}}') as never)],
    ['a body with constructor.prototype', (t) => t.releaseTasks(JSON.parse('{"worker_id":"w","task_tokens":[],"constructor":{"prototype":{"x":1}}}') as never)],
  ])('answers %s with the status and code the HTTP API answers', async (_, call) => {
    const overHttp = await refusal(call(http));
    expect(overHttp).toBeDefined();
    expect(await refusal(call(inProcess))).toEqual(overHttp);
  });

  it('refuses a key the platform does not know', async () => {
    await expect(InProcessWorkerProtocol.open(platform.app, 'not-a-known-key')).rejects.toMatchObject({ code: ErrorCode.AuthInvalid, status: 401 });
  });
});
