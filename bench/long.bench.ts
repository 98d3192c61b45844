import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EventType } from '#workflows/protocol';
import { WorkflowsClient } from '#workflows/sdk';
import { SpawnedProcess, startPlatformProcess, startWorkerProcess } from '../test/support/spawned-process.js';
import { median } from './bench-figures.js';

/**
 * Long histories, through the platform (separate processes, SQLite file, `synchronous=FULL`):
 * - one execution of `--steps` (default 1,000) sequential activities: the time of its first and
 *   last 100 steps, from the history's timestamps (flat when each step costs the same);
 * - W4 through the platform: a query of a run of `--w4-steps` (default 2,500, about 10,000
 *   events) answered by a fresh worker process that does not hold it, so it replays the whole
 *   history (claim, HTTP, hand-off to its workflow thread, replay), `--queries` times (default 5);
 * - the peak RSS of the platform and of each worker.
 */
const KEY = 'wf_bench_long_key';
const WORKER = 'dist/bench/long.worker.js';

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  const value = index > 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name} takes a whole number above 0`);
    process.exit(2);
  }
  return value;
}

const steps = argument('--steps', 1000);
const w4Steps = argument('--w4-steps', 2500);
const queries = argument('--queries', 5);

const dir = mkdtempSync(join(tmpdir(), 'wf-bench-long-'));
const processes: SpawnedProcess[] = [];
const client: { current?: WorkflowsClient } = {};
try {
  const platform = await startPlatformProcess(`${KEY}:long`, { WORKFLOWS_DB_PATH: join(dir, 'platform.db'), WORKFLOWS_HISTORY_MAX_EVENTS: '50000', WORKFLOWS_HISTORY_WARN_EVENTS: '40000' });
  processes.push(platform.process);
  const first = await startWorkerProcess('long-worker', platform.url, KEY, WORKER);
  processes.push(first);
  const workflows = (client.current = WorkflowsClient.connect({ serverUrl: platform.url, apiKey: KEY }));

  const long = await workflows.start<number>('w4', { input: steps, executionId: 'long' });
  await long.result();
  const completedAt = (await long.history())
    .filter((event) => event.event_type === EventType.ActivityTaskCompleted)
    .map((event) => Date.parse(event.event_timestamp));
  const window = Math.min(100, Math.floor(completedAt.length / 2));
  const firstMs = completedAt[window]! - completedAt[0]!;
  const lastMs = completedAt.at(-1)! - completedAt.at(-1 - window)!;
  console.log(
    `${steps} sequential activities: first ${window} steps ${firstMs} ms (${(firstMs / window).toFixed(2)} ms each), ` +
      `last ${window} ${lastMs} ms (${(lastMs / window).toFixed(2)} ms each): last/first ${(lastMs / firstMs).toFixed(2)}×`,
  );

  const w4 = await workflows.start<number>('w4', { input: w4Steps, executionId: 'w4' });
  await w4.result();
  const events = (await w4.history()).length;
  // A fresh worker holds nothing: every query replays the whole history there.
  const firstRssMb = first.peakRssBytes() / 2 ** 20;
  await first.kill('SIGTERM');
  const fresh = await startWorkerProcess('long-fresh-worker', platform.url, KEY, WORKER);
  processes.push(fresh);
  const times: number[] = [];
  for (let n = 0; n < queries; n++) {
    const started = performance.now();
    const progress = await w4.query<number>('progress');
    times.push(performance.now() - started);
    if (progress !== w4Steps) throw new Error(`the query answered ${progress}, not ${w4Steps}`);
  }
  console.log(
    `W4 through the platform: a query replaying ${events} events on a fresh worker: median ${median(times).toFixed(0)} ms ` +
      `(${times.map((time) => time.toFixed(0)).join(', ')})`,
  );
  console.log(
    `peak RSS: platform ${(platform.process.peakRssBytes() / 2 ** 20).toFixed(0)} MB, worker ${firstRssMb.toFixed(0)} MB, ` +
      `fresh worker ${(fresh.peakRssBytes() / 2 ** 20).toFixed(0)} MB`,
  );
} finally {
  await client.current?.close();
  for (const child of processes.reverse()) await child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
