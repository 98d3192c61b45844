import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventType } from '#workflows/protocol';
import { WorkflowsClient, type WorkflowHandle } from '#workflows/sdk';
import { recordedDuplicates } from '../support/history-checks.js';
import { SpawnedProcess, freePort, startWorkerProcess } from '../support/spawned-process.js';

const KEY = 'wf_restart_key';
const WORKER = 'dist/test/fixtures/reliability.worker.js';

describe('kill -9 of the platform (R7, R49)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wf-restart-'));
  const processes: SpawnedProcess[] = [];
  let env: Record<string, string>;
  let url: string;
  let platform: SpawnedProcess;
  let client: WorkflowsClient;

  const startPlatform = async (): Promise<void> => {
    platform = new SpawnedProcess('platform', 'dist/libs/platform/src/main.js', env);
    processes.push(platform);
    await platform.waitFor(/listening on/);
  };
  const restartPlatform = async (): Promise<void> => {
    await platform.kill('SIGKILL');
    await startPlatform();
  };

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      WORKFLOWS_PORT: String(port),
      WORKFLOWS_DB_PATH: join(dir, 'platform.db'),
      WORKFLOWS_API_KEYS: `${KEY}:restart`,
      WORKFLOWS_HEARTBEAT_INTERVAL_MS: '200',
      WORKFLOWS_SESSION_TIMEOUT_MS: '2000',
    };
    await startPlatform();
    for (const name of ['w-restart-1', 'w-restart-2']) processes.push(await startWorkerProcess(name, url, KEY, WORKER));
    client = WorkflowsClient.connect({ serverUrl: url, apiKey: KEY });
  }, 30_000);

  afterAll(async () => {
    await client?.close();
    for (const child of processes.reverse()) await child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('R49: executions in every state resume after a restart, and due retries fire once', async () => {
    // A deployment whose only worker has left: its execution's workflow task waits in the queue.
    const lateWorker = await startWorkerProcess('w-late-gone', url, KEY, WORKER, { DEPLOYMENT_NAME: 'late' });
    await lateWorker.kill('SIGTERM');
    const done = await client.start('steps', { input: { steps: 1, ms: 1 }, executionId: 'r49-done' });
    await done.result();
    const running = await client.start('steps', { input: { steps: 2, ms: 1500 }, executionId: 'r49-running' });
    const backingOff = await client.start('flaky', { executionId: 'r49-backoff' });
    const queued = await client.start('steps', { input: { steps: 1, ms: 1 }, executionId: 'r49-queued', deploymentName: 'late' });
    await Promise.any(processes.map((p) => p.waitFor(/MARK work r49-running step=1 attempt=1/)));
    await Promise.any(processes.map((p) => p.waitFor(/MARK flaky r49-backoff attempt=1/)));

    await restartPlatform();
    processes.push(await startWorkerProcess('w-restart-late', url, KEY, WORKER, { DEPLOYMENT_NAME: 'late' }));

    expect(await running.result()).toHaveLength(2);
    expect(await backingOff.result()).toBe(2);
    expect(await queued.result()).toHaveLength(1);
    expect((await done.describe()).status).toBe('COMPLETED');
    const flakyHistory = await backingOff.history();
    expect(flakyHistory.filter((e) => e.event_type === EventType.ActivityTaskCompleted)).toHaveLength(1);
    for (const handle of [done, running, backingOff, queued]) expect(recordedDuplicates(await handle.history())).toBe(0);
    console.log('R49: completed, running, backing-off and queued executions all resumed after kill -9 of the platform');
  }, 60_000);

  it('R7: kill -9 of the platform three times under load: 0 lost, 0 recorded duplicates', async () => {
    const handles: WorkflowHandle[] = [];
    const acknowledged: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (let n = 0; n < 8; n++) {
        const id = `r7-${round}-${n}`;
        handles.push(await client.start('steps', { input: { steps: 3, ms: 30 }, executionId: id }));
        acknowledged.push(id);
      }
      await restartPlatform();
    }
    const results = await Promise.all(handles.map((handle) => handle.result()));
    let duplicates = 0;
    for (const handle of handles) duplicates += recordedDuplicates(await handle.history());
    const lost = acknowledged.length - results.filter((steps) => (steps as string[]).length === 3).length;
    console.log(`R7: ${acknowledged.length} acknowledged starts across 3 platform kills: lost ${lost}, recorded duplicates ${duplicates}`);
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
  }, 90_000);
});
