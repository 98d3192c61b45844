import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ExecutionStatus } from '#workflows/protocol';
import { WorkflowsApiError, WorkflowsClient } from '#workflows/sdk';
import { recordedDuplicates } from '../test/support/history-checks.js';
import { SpawnedProcess, freePort, startWorkerProcess } from '../test/support/spawned-process.js';

/**
 * `npm run chaos -- --executions N --minutes M`: runs N executions of a 3-activity workflow
 * on a platform process and 3 worker processes while kill -9 hits a random worker or the
 * platform every 1-3 s for M minutes (each victim restarted), then lets everything finish
 * and prints lost / recorded duplicates / stuck. Exits 1 unless all three are 0.
 */
const KEY = 'wf_chaos_key';
const WORKERS = 3;
const DRAIN_MS = 120_000;

function argument(name: string, fallback: number, max: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index > 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    console.error(`--${name} takes a number from 0 to ${max}`);
    process.exit(2);
  }
  return value;
}

const executions = argument('executions', 200, 100_000);
const minutes = argument('minutes', 1, 60);
const dir = mkdtempSync(join(tmpdir(), 'wf-chaos-'));
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const platformEnv = {
  WORKFLOWS_PORT: String(port),
  WORKFLOWS_DB_PATH: join(dir, 'platform.db'),
  WORKFLOWS_API_KEYS: `${KEY}:chaos`,
  WORKFLOWS_HEARTBEAT_INTERVAL_MS: '200',
  WORKFLOWS_SESSION_TIMEOUT_MS: '1000',
};

async function startPlatform(): Promise<SpawnedProcess> {
  const platform = new SpawnedProcess('platform', 'dist/libs/platform/src/main.js', platformEnv);
  await platform.waitFor(/listening on/);
  return platform;
}

const startWorker = (n: number): Promise<SpawnedProcess> =>
  startWorkerProcess(`chaos-${n}-${Math.round(performance.now())}`, url, KEY, 'dist/test/fixtures/reliability.worker.js');

let platform = await startPlatform();
const workers = await Promise.all(Array.from({ length: WORKERS }, (_, n) => startWorker(n)));
const client = WorkflowsClient.connect({ serverUrl: url, apiKey: KEY });
const acknowledged = new Set<string>();
let kills = 0;

/** Starts one execution, retrying while the platform is down; a 409 means an earlier try landed. */
async function startOne(id: string): Promise<void> {
  for (;;) {
    try {
      await client.start('steps', { input: { steps: 3, ms: 20 }, executionId: id });
      acknowledged.add(id);
      return;
    } catch (error) {
      if (error instanceof WorkflowsApiError && error.code === 'WF_EXECUTION_ALREADY_STARTED') {
        acknowledged.add(id);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

const runUntil = performance.now() + minutes * 60_000;
const starting = (async () => {
  const perStart = (minutes * 60_000 * 0.8) / executions;
  for (let n = 0; n < executions; n++) {
    await startOne(`chaos-${n}`);
    await new Promise((resolve) => setTimeout(resolve, perStart));
  }
})();

while (performance.now() < runUntil) {
  await new Promise((resolve) => setTimeout(resolve, 1000 + Math.random() * 2000));
  kills++;
  if (Math.random() < 0.3) {
    await platform.kill('SIGKILL');
    platform = await startPlatform();
  } else {
    const index = Math.floor(Math.random() * workers.length);
    await workers[index]!.kill('SIGKILL');
    workers[index] = await startWorker(index);
  }
}
await starting;

const drainUntil = performance.now() + DRAIN_MS;
let open = [...acknowledged];
while (open.length > 0 && performance.now() < drainUntil) {
  const still: string[] = [];
  for (const id of open) {
    const execution = await client.getHandle(id).describe().catch(() => null);
    if (!execution || execution.status === ExecutionStatus.Running) still.push(id);
  }
  open = still;
  if (open.length > 0) await new Promise((resolve) => setTimeout(resolve, 500));
}

let lost = 0;
let stuck = 0;
let duplicates = 0;
for (const id of acknowledged) {
  const execution = await client.getHandle(id).describe().catch(() => null);
  if (!execution) lost++;
  else if (execution.status === ExecutionStatus.Running) stuck++;
  else duplicates += recordedDuplicates(await client.getHandle(id).history());
}
console.log(`chaos: ${acknowledged.size} executions acknowledged, ${kills} kill -9 (workers and platform) over ${minutes} min`);
console.log(`lost ${lost}, recorded duplicates ${duplicates}, stuck ${stuck}`);

await client.close();
for (const worker of workers) await worker.kill('SIGKILL');
await platform.kill('SIGTERM');
rmSync(dir, { recursive: true, force: true });
process.exit(lost + duplicates + stuck === 0 ? 0 : 1);
