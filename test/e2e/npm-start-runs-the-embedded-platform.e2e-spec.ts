import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpawnedProcess } from '../support/spawned-process.js';

describe('the example worker app with no SERVER_URL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wf-embedded-'));
  let app: SpawnedProcess;

  afterAll(async () => {
    await app?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts the platform in its own process, prints the URL and a key, and runs an order', async () => {
    app = new SpawnedProcess('embedded', 'dist/src/main.js', {
      WORKFLOWS_PORT: '0',
      WORKFLOWS_DB_PATH: join(dir, 'platform.db'),
      WORKER_NAME: 'embedded-worker',
    });
    const [, baseUrl] = await app.waitFor(/Embedded platform API: (http:\/\/127\.0\.0\.1:\d+)\/v1\/workflows/);
    const [, key] = await app.waitFor(/API key for this run: (\S+)\s/);
    await app.waitFor(/registered with/);
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

    const workflows = (await (await fetch(`${baseUrl}/v1/workflows`, { headers })).json()) as { workflows: unknown[] };
    expect(workflows.workflows).toEqual([{ name: 'order-fulfilment', deployments: ['default'], active: true }]);

    const response = await fetch(`${baseUrl}/v1/workflows/order-fulfilment/execute`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        input: { orderId: 'o-1', customerId: 'c-1', lines: [{ sku: 'A', quantity: 3, unitPriceCents: 100 }], address: 'here' },
        wait_for_result: true,
        timeout_seconds: 20,
      }),
    });
    expect(response.status).toBe(200);
    const execution = await response.json();
    expect(execution).toMatchObject({ workflow_name: 'order-fulfilment', status: 'COMPLETED', result: { orderId: 'o-1', amountCents: 300 } });

    // Nest's shutdown hooks close the app, then end the process with the signal it received.
    expect(await app.kill('SIGTERM')).toEqual(expect.stringMatching(/^SIGTERM$/));
    expect(app.text).not.toMatch(/ERROR/);
  });
});
