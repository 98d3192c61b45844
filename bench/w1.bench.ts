import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ErrorCode } from '#workflows/protocol';
import { HttpPlatformTransport, WorkflowsClient } from '#workflows/sdk';
import { freePort, ROOT, SpawnedProcess, startPlatformProcess, startWorkerProcess } from '../test/support/spawned-process.js';
import {
  figuresLine,
  medianFigures,
  percentile,
  printRound,
  printSummary,
  SYSTEM_LABELS,
  type PhaseCounts,
  type RoundFigures,
  type SystemFigures,
  type SystemId,
} from './bench-figures.js';
import { descendantsOf, PeerBench, peersFolder, type PeerId } from './peers.js';

/**
 * W1 of shared/PERFORMANCE.md: a workflow of 3 no-op activities; platform, worker and client
 * are separate processes on 127.0.0.1 (`--mode embedded`: the platform inside the worker's
 * process, as `npm start` runs it; `--mode both`). Prints single-execution and throughput
 * figures and the peak RSS of each process. `npm run bench -- --runs 3` prints the median of
 * three runs. `--workload w5` runs the same on PostgreSQL (`WORKFLOWS_BENCH_DATABASE_URL`,
 * default the local `test` database, in a schema of its own) with 2 platform processes: the
 * worker polls one, the client starts and waits on the other.
 *
 * `--peers` runs rounds (`--rounds N`, default 3) of this project, then Restate, then BullMQ
 * (chain of 3) from `../shared/peers` (for W5: DBOS), one after another, and prints each round's
 * ratios, their medians and the issue's goals. W1-local (the same steps as local activities, separate
 * processes) runs beside W1 in every round with `--peers`, and with `--local` otherwise. `--single N`, `--throughput N` and
 * `WORKFLOWS_BENCH_SCALE` (a factor on every phase's count) shrink the run, for the peers too.
 */
const KEY = 'wf_bench_key';

const args = process.argv.slice(2);
function option(name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}
function usage(message: string): never {
  console.error(message);
  process.exit(2);
}
function wholeNumber(name: string, min: number, max: number, fallback: number): number {
  const text = option(name);
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(value) || value < min || value > max) usage(`${name} takes a whole number from ${min} to ${max}`);
  return value;
}

const workload = option('--workload') ?? 'w1';
if (workload !== 'w1' && workload !== 'w5') usage('--workload takes w1 or w5');
const withPeers = args.includes('--peers');
const mode = option('--mode') ?? (withPeers && workload === 'w1' ? 'both' : 'separate');
if (mode !== 'separate' && mode !== 'embedded' && mode !== 'both') usage('--mode takes separate, embedded or both');
if (workload === 'w5' && mode !== 'separate') usage('--workload w5 runs separate processes only (the embedded platform is SQLite)');
const scale = Number(process.env.WORKFLOWS_BENCH_SCALE ?? 1);
if (!(scale > 0 && scale <= 1)) usage('WORKFLOWS_BENCH_SCALE takes a number above 0, at most 1');
const scaled = (count: number): number => Math.max(1, Math.round(count * scale));
const counts: PhaseCounts = {
  warmup: scaled(20),
  burst: scaled(200),
  single: wholeNumber('--single', 1, 100_000, scaled(200)),
  throughput: wholeNumber('--throughput', 1, 100_000, scaled(2000)),
};
const rounds = withPeers ? wholeNumber('--rounds', 1, 9, 3) : wholeNumber('--runs', 1, 9, 1);
const withLocal = workload === 'w1' && (withPeers || args.includes('--local'));
const ours: SystemId[] = workload === 'w5' ? ['w5'] : [...(mode === 'both' ? (['separate', 'embedded'] as const) : [mode as SystemId]), ...(withLocal ? (['local'] as const) : [])];
const peers: PeerId[] = !withPeers ? [] : workload === 'w5' ? ['dbos'] : ['restate', 'bullmq'];
const databaseUrl = process.env.WORKFLOWS_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
// The worker's workflow threads can be compared: WORKFLOWS_WORKFLOW_THREADS=0 runs workflow code on its main thread.
const threads = process.env.WORKFLOWS_WORKFLOW_THREADS;
const threadsEnv: Record<string, string> = threads ? { WORKFLOWS_WORKFLOW_THREADS: threads } : {};

/** What must be undone if the bench is interrupted: each entry runs at most once, at the end of its run or on SIGINT. */
const cleanups = new Set<() => Promise<void>>();
function onCleanup(undo: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  const once = (): Promise<void> => (done ??= undo());
  cleanups.add(once);
  return () => {
    cleanups.delete(once);
    return once();
  };
}
let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true;
  console.error('interrupted: stopping the processes this bench started');
  void Promise.allSettled([...cleanups].map((undo) => undo())).then(() => {
    // Whatever is left of this process's tree (a process still starting when the signal came).
    for (const pid of descendantsOf(process.pid)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Gone already.
      }
    }
    process.exit(130);
  });
});

/**
 * A client for the bench: every execution of a phase is in flight at once and holds a request
 * open for its result, so it gets a connection each, as the peers' clients do (the SDK's default
 * pool of 32 would queue them in this process, not on the platform).
 */
function benchClient(serverUrl: string): WorkflowsClient {
  const connections = Math.max(32, counts.burst, counts.throughput);
  return new WorkflowsClient(new HttpPlatformTransport({ baseUrl: serverUrl, apiKey: KEY, connections }), true);
}

/**
 * Runs one execution to its result as a careful client does: a node whose connection pool stays
 * busy past its wait answers 503 WF_UNAVAILABLE, and the start is sent again (up to 5 times); a
 * retry that finds the id taken means an earlier attempt landed, so its result is awaited.
 */
async function executeOne(workflows: WorkflowsClient, workflow: string, input: number, retried: { count: number }): Promise<void> {
  const executionId = randomUUID();
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await workflows.execute<number>(workflow, { input, executionId });
      if (result !== input + 3) throw new Error(`w1(${input}) returned ${result}`);
      return;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt > 1 && code === ErrorCode.ExecutionAlreadyStarted) {
        const result = await workflows.getHandle<number>(executionId).result();
        if (result !== input + 3) throw new Error(`w1(${input}) returned ${result}`);
        return;
      }
      if (code !== ErrorCode.Unavailable || attempt >= 5) throw error;
      retried.count++;
    }
  }
}

/** Starts `count` executions at once (each without waiting for the one before); executions/s = count / (last result − first start). */
async function fireAll(workflows: WorkflowsClient, workflow: string, count: number, retried: { count: number }): Promise<{ perSecond: number; latencies: number[] }> {
  const firstStart = performance.now();
  const runs = Array.from({ length: count }, (_, input) => {
    const started = performance.now();
    return executeOne(workflows, workflow, input, retried).then(() => ({ started, done: performance.now() }));
  });
  const results = await Promise.all(runs);
  const lastResult = Math.max(...results.map((result) => result.done));
  return {
    perSecond: (count / (lastResult - firstStart)) * 1000,
    latencies: results.map((result) => result.done - result.started).sort((a, b) => a - b),
  };
}

/** The phases of one run against a platform that runs `workflow` (W1 or W1-local): warm-up, burst, single, throughput. */
async function measure(workflows: WorkflowsClient, workflow: string): Promise<Omit<SystemFigures, 'memoryMb'>> {
  const retried = { count: 0 };
  for (let i = 0; i < counts.warmup; i++) await executeOne(workflows, workflow, i, retried);
  await fireAll(workflows, workflow, counts.burst, retried);
  const single: number[] = [];
  for (let i = 0; i < counts.single; i++) {
    const started = performance.now();
    await executeOne(workflows, workflow, i, retried);
    single.push(performance.now() - started);
  }
  const load = await fireAll(workflows, workflow, counts.throughput, retried);
  single.sort((a, b) => a - b);
  return {
    singleP50: percentile(single, 50),
    singleP99: percentile(single, 99),
    perSecond: load.perSecond,
    loadP50: percentile(load.latencies, 50),
    loadP99: percentile(load.latencies, 99),
    ...(retried.count ? { note: `${retried.count} start(s) sent again after a 503` } : {}),
  };
}

/** One run with platform (two for W5), worker and client in separate processes. */
async function runSeparate(run: number, workflow = 'w1'): Promise<SystemFigures> {
  const processes: SpawnedProcess[] = [];
  const client: { current?: WorkflowsClient } = {};
  const dir = mkdtempSync(join(tmpdir(), `wf-bench-${run}-`));
  const schema = `wf_bench_${process.pid}_${run}`;
  const cleanup = onCleanup(async () => {
    await client.current?.close();
    for (const child of [...processes].reverse()) await child.kill('SIGTERM').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    if (workload === 'w5') await dropSchema(schema);
  });
  try {
    const storage: Record<string, string> =
      workload === 'w5'
        ? { WORKFLOWS_DATABASE_URL: databaseUrl, WORKFLOWS_DATABASE_SCHEMA: schema }
        : { WORKFLOWS_DB_PATH: join(dir, 'platform.db') };
    const platform = await startPlatformProcess(`${KEY}:bench`, storage);
    processes.push(platform.process);
    const second = workload === 'w5' ? await startPlatformProcess(`${KEY}:bench`, storage) : null;
    if (second) processes.push(second.process);
    const worker = await startWorkerProcess('bench-worker', platform.url, KEY, 'dist/bench/w1.worker.js', threadsEnv);
    processes.push(worker);
    const figures = await measure((client.current = benchClient(second?.url ?? platform.url)), workflow);
    const platformMb = Math.max(platform.process.peakRssBytes(), second?.process.peakRssBytes() ?? 0) / 2 ** 20;
    return { ...figures, memoryMb: { [workload === 'w5' ? 'RSS platform (larger node)' : 'RSS platform']: platformMb, 'RSS worker': worker.peakRssBytes() / 2 ** 20 } };
  } finally {
    await cleanup();
  }
}

/** One run in embedded mode: the worker app without SERVER_URL starts the platform in its own process (SQLite file, synchronous=FULL); the client is this process. */
async function runEmbedded(run: number): Promise<SystemFigures> {
  const dir = mkdtempSync(join(tmpdir(), `wf-bench-embedded-${run}-`));
  const worker = new SpawnedProcess('bench-embedded', 'dist/bench/w1.worker.js', {
    WORKFLOWS_PORT: String(await freePort()),
    WORKFLOWS_DB_PATH: join(dir, 'platform.db'),
    MISTRAL_API_KEY: KEY,
    WORKER_NAME: 'bench-embedded',
    ...threadsEnv,
  });
  const client: { current?: WorkflowsClient } = {};
  const cleanup = onCleanup(async () => {
    await client.current?.close();
    await worker.kill(client.current ? 'SIGTERM' : 'SIGKILL').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    const [, url] = await worker.waitFor(/registered with (http:\/\/\S+) as /, 60_000);
    const figures = await measure((client.current = benchClient(url!)), 'w1');
    return { ...figures, memoryMb: { 'RSS worker+platform process': worker.peakRssBytes() / 2 ** 20 } };
  } finally {
    await cleanup();
  }
}

async function dropSchema(schema: string): Promise<void> {
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}

const headers: Partial<Record<SystemId, string>> = {
  separate: 'W1 (SQLite, platform + worker + client processes on 127.0.0.1)',
  embedded: 'W1 embedded (SQLite, the platform inside the worker process; client process on 127.0.0.1)',
  local: 'W1-local (the same steps as local activities; separate processes)',
  w5: 'W5 (PostgreSQL, 2 platform processes + worker + client on 127.0.0.1)',
};
const peerNames = peers.map((peer) => SYSTEM_LABELS[peer]);
console.log(`${ours.map((system) => headers[system]).join('; ')}${peers.length ? `; then ${peerNames.join(', then ')}` : ''}`);
console.log(
  `${rounds} ${withPeers ? 'round' : 'run'}(s) of: ${counts.warmup} warm-up executions one at a time, ${counts.burst} at once (untimed), ` +
    `${counts.single} one at a time (single), ${counts.throughput} at once (throughput)`,
);

let peerBench: PeerBench | null = null;
if (peers.length) {
  const shared = peersFolder(ROOT);
  if (!shared) usage(`--peers needs the peers' harness at ${join(ROOT, '..', 'shared', 'peers')} (shared/ beside the repository), which is missing`);
  const bench = (peerBench = PeerBench.create(counts));
  const closePeers = onCleanup(() => bench.close());
  console.log(`installing the peers' packages (${peers.join(', ')}) in a temporary copy of ${shared}`);
  await bench.install(shared, peers).catch(async (error: unknown) => {
    await closePeers();
    console.error(`--peers: ${(error as Error).message}`);
    process.exit(1);
  });
}

/** Runs the rounds: this project's modes, then each peer, one after another; prints each round. */
async function runRounds(peerBench: PeerBench | null): Promise<RoundFigures[]> {
  const all: RoundFigures[] = [];
  // After SIGINT nothing more starts; the handler stops what runs and exits.
  for (let round = 1; round <= rounds && !interrupted; round++) {
    if (withPeers) console.log(`round ${round}`);
    const figures: RoundFigures = {};
    for (const system of ours) {
      if (interrupted) break;
      const run = (figures[system] =
        system === 'embedded' ? await runEmbedded(round) : system === 'local' ? await runSeparate(round, 'w1-local') : await runSeparate(round));
      if (!withPeers) console.log(figuresLine(`run ${round}${ours.length > 1 ? `, ${SYSTEM_LABELS[system]}` : ''}`, run, counts.throughput));
    }
    const failures: string[] = [];
    for (const peer of peers) {
      if (interrupted) break;
      // One at a time: each peer's script stops its servers before the next starts.
      figures[peer] = await peerBench!.run(peer).catch((error: unknown) => {
        failures.push(`  ${SYSTEM_LABELS[peer]}: no figures (${(error as Error).message})`);
        return undefined;
      });
    }
    if (withPeers) printRound(figures, ours, peers, counts.throughput);
    for (const failure of failures) console.log(failure);
    all.push(figures);
  }
  return all;
}

// A run that fails because SIGINT stopped its processes is not an error: the handler exits with 130.
const all = await runRounds(peerBench)
  .catch((error: unknown) => {
    if (interrupted) return null;
    throw error;
  })
  .finally(() => peerBench?.close());
if (all && !interrupted && withPeers) printSummary(all, ours, peers, counts.throughput);
else if (all && !interrupted && rounds > 1) {
  for (const system of ours) {
    const figures = medianFigures(all.map((round) => round[system]!));
    console.log(figuresLine(`median${ours.length > 1 ? `, ${SYSTEM_LABELS[system]}` : ''}`, figures, counts.throughput));
  }
}
