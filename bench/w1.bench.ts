import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WorkflowsClient } from '#workflows/sdk';
import { SpawnedProcess, startPlatformProcess, startWorkerProcess } from '../test/support/spawned-process.js';

/**
 * W1 of shared/PERFORMANCE.md: a workflow of 3 no-op activities; platform, worker and client
 * are separate processes on 127.0.0.1. Prints single-execution and throughput figures and
 * the peak RSS of each process. `npm run bench -- --runs 3` prints the median of three runs.
 * `--workload w5` runs the same on PostgreSQL (`WORKFLOWS_BENCH_DATABASE_URL`, default the
 * local `test` database, in a schema of its own) with 2 platform processes: the worker polls
 * one, the client starts and waits on the other.
 */
const KEY = 'wf_bench_key';
const WARMUP = 20;
const BURST = 200;
const SINGLE = 200;
const THROUGHPUT = 2000;
const START_CONCURRENCY = 64;

const workloadArg = process.argv.indexOf('--workload');
const workload = workloadArg > 0 ? process.argv[workloadArg + 1] : 'w1';
if (workload !== 'w1' && workload !== 'w5') {
  console.error('--workload takes w1 or w5');
  process.exit(2);
}
const databaseUrl = process.env.WORKFLOWS_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface RunFigures {
  singleP50: number;
  singleP99: number;
  perSecond: number;
  loadP50: number;
  loadP99: number;
  platformRssMb: number;
  workerRssMb: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function inParallel<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  });
  await Promise.all(lanes);
  return results;
}

async function runOnce(run: number): Promise<RunFigures> {
  const processes: SpawnedProcess[] = [];
  const client: { current?: WorkflowsClient } = {};
  const dir = mkdtempSync(join(tmpdir(), `wf-bench-${run}-`));
  const schema = `wf_bench_${process.pid}_${run}`;
  try {
    const storage: Record<string, string> =
      workload === 'w5'
        ? { WORKFLOWS_DATABASE_URL: databaseUrl, WORKFLOWS_DATABASE_SCHEMA: schema }
        : { WORKFLOWS_DB_PATH: join(dir, 'platform.db') };
    const platform = await startPlatformProcess(`${KEY}:bench`, storage);
    processes.push(platform.process);
    const second = workload === 'w5' ? await startPlatformProcess(`${KEY}:bench`, storage) : null;
    if (second) processes.push(second.process);
    // The worker's workflow threads can be compared: WORKFLOWS_WORKFLOW_THREADS=0 runs workflow code on its main thread.
    const threads = process.env.WORKFLOWS_WORKFLOW_THREADS;
    const worker = await startWorkerProcess('bench-worker', platform.url, KEY, 'dist/bench/w1.worker.js', threads ? { WORKFLOWS_WORKFLOW_THREADS: threads } : {});
    processes.push(worker);
    const clientUrl = second?.url ?? platform.url;
    const workflows = (client.current = WorkflowsClient.connect({ serverUrl: clientUrl, apiKey: KEY }));

    for (let i = 0; i < WARMUP; i++) await workflows.execute('w1', { input: i });
    await inParallel(BURST, START_CONCURRENCY, (i) => workflows.execute('w1', { input: i }));

    const single: number[] = [];
    for (let i = 0; i < SINGLE; i++) {
      const started = performance.now();
      const result = await workflows.execute<number>('w1', { input: i });
      single.push(performance.now() - started);
      if (result !== i + 3) throw new Error(`w1(${i}) returned ${result}`);
    }

    const latencies: number[] = new Array(THROUGHPUT);
    const firstStart = performance.now();
    const waits: Promise<void>[] = [];
    await inParallel(THROUGHPUT, START_CONCURRENCY, async (i) => {
      const started = performance.now();
      const handle = await workflows.start<number>('w1', { input: i });
      waits.push(
        handle.result().then((result) => {
          if (result !== i + 3) throw new Error(`w1(${i}) returned ${result}`);
          latencies[i] = performance.now() - started;
        }),
      );
    });
    await Promise.all(waits);
    const elapsedMs = performance.now() - firstStart;

    single.sort((a, b) => a - b);
    latencies.sort((a, b) => a - b);
    return {
      singleP50: percentile(single, 50),
      singleP99: percentile(single, 99),
      perSecond: (THROUGHPUT / elapsedMs) * 1000,
      loadP50: percentile(latencies, 50),
      loadP99: percentile(latencies, 99),
      platformRssMb: Math.max(platform.process.peakRssBytes(), second?.process.peakRssBytes() ?? 0) / 2 ** 20,
      workerRssMb: worker.peakRssBytes() / 2 ** 20,
    };
  } finally {
    await client.current?.close();
    for (const child of processes.reverse()) await child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    if (workload === 'w5') await dropSchema(schema);
  }
}

async function dropSchema(schema: string): Promise<void> {
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function print(label: string, figures: RunFigures): void {
  console.log(
    `${label}: single p50 ${figures.singleP50.toFixed(2)} ms, p99 ${figures.singleP99.toFixed(2)} ms | ` +
      `${THROUGHPUT} executions: ${figures.perSecond.toFixed(0)}/s, p50 ${figures.loadP50.toFixed(1)} ms, p99 ${figures.loadP99.toFixed(1)} ms | ` +
      `peak RSS platform ${figures.platformRssMb.toFixed(0)} MB${workload === 'w5' ? ' (larger node)' : ''}, worker ${figures.workerRssMb.toFixed(0)} MB`,
  );
}

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 1;
if (!Number.isInteger(runs) || runs < 1 || runs > 9) {
  console.error('--runs takes a whole number from 1 to 9');
  process.exit(2);
}
console.log(
  workload === 'w5'
    ? `W5 (PostgreSQL, 2 platform processes + worker + client on 127.0.0.1), ${runs} run(s)`
    : `W1 (SQLite, platform + worker + client processes on 127.0.0.1), ${runs} run(s)`,
);
const all: RunFigures[] = [];
for (let run = 1; run <= runs; run++) {
  const figures = await runOnce(run);
  all.push(figures);
  print(`run ${run}`, figures);
}
if (runs > 1) {
  const keys = Object.keys(all[0]!) as (keyof RunFigures)[];
  print('median', Object.fromEntries(keys.map((key) => [key, median(all.map((figures) => figures[key]))])) as unknown as RunFigures);
}
