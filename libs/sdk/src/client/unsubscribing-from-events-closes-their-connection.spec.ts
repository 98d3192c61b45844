import 'reflect-metadata';
import type { Server } from 'node:http';
import { startPlatform, type RunningPlatform } from '#workflows/platform';
import { WorkflowsClient } from './workflows-client.js';

const KEY = 'wf_events_close_key';

describe('handle.events$', () => {
  let platform: RunningPlatform;
  let client: WorkflowsClient;

  beforeAll(async () => {
    platform = await startPlatform({ port: 0, databasePath: ':memory:', apiKeys: [{ key: KEY, namespace: 'events' }], logger: false });
    client = WorkflowsClient.connect({ serverUrl: platform.url, apiKey: KEY });
    // A registration, so that the workflow can be started; no worker ever runs it.
    await fetch(`${platform.url}/v1/workflows/workers/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        worker_name: 'w',
        deployment_name: 'd',
        sdk_version: '0',
        workflows: [{ name: 'idle' }],
        activities: [],
        max_concurrent_workflow_tasks: 1,
        max_concurrent_activity_tasks: 1,
      }),
    }).then((response) => response.text());
  });

  afterAll(async () => {
    await client.close();
    await platform.close();
  });

  it('closes its connection when the subscriber unsubscribes, so the platform stops streaming to it', async () => {
    await client.start('idle', { executionId: 'streamed-then-dropped' });
    const server = platform.app.getHttpServer() as Server;
    const connections = () => new Promise<number>((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
    const before = await connections();
    const first = new Promise<void>((resolve) => {
      const subscription = client.getHandle('streamed-then-dropped').events$.subscribe(() => {
        subscription.unsubscribe();
        resolve();
      });
    });
    await first;
    // The stream had its own connection; once it is closed the server is back to the client's pooled ones.
    for (let attempt = 0; attempt < 200 && (await connections()) > before; attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await connections()).toBe(before);
  });
});
