import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PhaseCounts, SystemFigures } from './bench-figures.js';

/** The peers the bench runs: each one's folder under shared/peers and the environment of its W1 shape. */
export const PEERS = {
  restate: { folder: 'restate', env: {} },
  bullmq: { folder: 'bullmq', env: { SHAPE: 'chain' } },
  dbos: { folder: 'dbos', env: {} },
} as const;

/** One of {@link PEERS}. */
export type PeerId = keyof typeof PEERS;

/** Longest one peer run (its run.sh) may take: the script bounds its client by `timeout 900`, plus start-up. */
const PEER_RUN_TIMEOUT_MS = 1_200_000;
/** Longest `npm ci` of one peer may take. */
const INSTALL_TIMEOUT_MS = 600_000;
/** How long a stopped script has to run its own clean-up (stop its servers, remove their data) before it is killed. */
const STOP_GRACE_MS = 30_000;

/** The peers' harness beside the repository (`../shared/peers`, as CI and developers lay it out), or null when absent. */
export function peersFolder(root: string): string | null {
  const folder = join(root, '..', 'shared', 'peers');
  return existsSync(join(folder, 'lib', 'stats.mjs')) ? folder : null;
}

/** The fields of the last stdout line starting with `peer=` (`key=value` pairs), or null when there is none. */
export function parsePeerLine(stdout: string): Record<string, string> | null {
  const line = stdout
    .split('\n')
    .filter((text) => text.startsWith('peer='))
    .at(-1);
  if (!line) return null;
  return Object.fromEntries(
    line
      .trim()
      .split(/\s+/)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

/** A peer's `peer=` fields as figures; throws naming a figure the line lacks. */
export function peerFigures(fields: Record<string, string>, counts: PhaseCounts): SystemFigures {
  const number = (key: string): number => {
    const value = Number(fields[key]);
    if (fields[key] === undefined || !Number.isFinite(value)) throw new Error(`the peer= line has no number ${key}: ${JSON.stringify(fields)}`);
    return value;
  };
  const memoryMb: Record<string, number> = {};
  for (const role of ['server', 'worker']) {
    if (fields[`${role}_peak_pss_mb`] !== undefined) memoryMb[`PSS ${role}`] = number(`${role}_peak_pss_mb`);
    if (fields[`${role}_max_proc_hwm_mb`] !== undefined) memoryMb[`RSS ${role} (largest process)`] = number(`${role}_max_proc_hwm_mb`);
  }
  const ran = [`${fields.single_n} single`, `${fields.tput_n} at once`];
  const short = Number(fields.single_n) !== counts.single || Number(fields.tput_n) !== counts.throughput;
  return {
    singleP50: number('single_p50_ms'),
    singleP99: number('single_p99_ms'),
    perSecond: number('tput_eps'),
    loadP50: number('tput_p50_ms'),
    loadP99: number('tput_p99_ms'),
    memoryMb,
    ...(short ? { note: `${fields.peer} ran ${ran.join(', ')}` } : { note: String(fields.peer) }),
  };
}

/** The PATH a peer runs with: the given one, plus PostgreSQL's bin folder when `initdb` is not on it (the DBOS peer needs it). */
export function pathWithPostgres(path: string): string {
  if (path.split(delimiter).some((folder) => folder && existsSync(join(folder, 'initdb')))) return path;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((version) => existsSync(join(root, version, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest ? `${join(root, newest, 'bin')}${delimiter}${path}` : path;
}

/** What a bounded subprocess left: its exit, its output, and whether its time ran out. */
interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * A script run in a process group of its own, bounded in time, and stopped by PID: first its
 * descendants (so that the script reaches its end and its EXIT trap stops its servers and removes
 * their data), then, after a grace, whatever of its tree is left, the script included.
 */
class BoundedScript {
  readonly finished: Promise<Finished>;
  private exited = false;
  private readonly pid: number;

  constructor(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number) {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.pid = child.pid!;
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void this.stop();
    }, timeoutMs);
    this.finished = once(child, 'close').then(([code]) => {
      this.exited = true;
      clearTimeout(timer);
      return { code: code as number | null, stdout, stderr, timedOut };
    });
  }

  /** Stops the script and its tree (see the class); resolves once it has exited. */
  async stop(): Promise<void> {
    if (this.exited) return;
    signalAll(descendantsOf(this.pid), 'SIGTERM');
    const ended = await Promise.race([this.finished.then(() => true), sleep(STOP_GRACE_MS, false, { ref: false })]);
    if (!ended) signalAll([this.pid, ...descendantsOf(this.pid)], 'SIGKILL');
    await this.finished;
  }
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already.
    }
  }
}

/** Every process below `root` (its children, theirs, and so on), read from /proc. */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // The process went away while we read.
    }
  }
  const found: number[] = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length) {
    const pid = stack.pop()!;
    found.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return found;
}

/**
 * This process's environment for a peer's script, without what `npm run bench` adds about this
 * repository (with `npm_config_local_prefix` left in, the peer's `npm ci` would install here),
 * and with `TMPDIR` inside the peers' folder: what the scripts and their servers leave in the
 * temporary directory (Restate's invoker folders, say) goes with the folder.
 */
function peerEnvironment(tmp: string): NodeJS.ProcessEnv {
  const own = /^(npm_config_local_prefix|npm_package_.*|npm_lifecycle_.*|npm_command|INIT_CWD)$/i;
  return { ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !own.test(key))), TMPDIR: tmp };
}

function tail(text: string, lines = 5): string {
  return text.trim().split('\n').slice(-lines).join(' | ');
}

/**
 * The peers of one bench invocation, copied with `lib/` into one temporary folder (shared/peers is
 * read-only where CI lays it out) and installed once; each run is one `RUNS=1 ./run.sh` there, one
 * at a time. `close()` stops a run under way and removes the folder.
 */
export class PeerBench {
  private current: BoundedScript | null = null;
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly counts: PhaseCounts,
  ) {}

  /** An empty temporary folder for the peers of this invocation; `close()` removes it. */
  static create(counts: PhaseCounts): PeerBench {
    const dir = mkdtempSync(join(tmpdir(), 'wf-bench-peers-'));
    // The DBOS peer's PostgreSQL runs as the 'postgres' user (as root) in a folder under TMPDIR: it must reach it.
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'tmp'), { mode: 0o1777 });
    chmodSync(join(dir, 'tmp'), 0o1777);
    return new PeerBench(dir, counts);
  }

  /** Copies the peers' folders and `lib/` from `shared` into the folder and runs `npm ci` in each, as its run.sh would on first use. */
  async install(shared: string, peers: PeerId[]): Promise<void> {
    execFileSync('cp', ['-r', ...peers.map((peer) => join(shared, PEERS[peer].folder)), join(shared, 'lib'), this.dir]);
    execFileSync('chmod', ['-R', 'u+w', this.dir]);
    for (const peer of peers) {
      const finished = await this.track(() => new BoundedScript('npm', ['ci', '--no-audit', '--no-fund'], join(this.dir, PEERS[peer].folder), peerEnvironment(join(this.dir, 'tmp')), INSTALL_TIMEOUT_MS));
      if (finished.code !== 0) throw new Error(`${peer}: npm ci failed (${finished.timedOut ? 'timed out' : `exit ${finished.code}`}): ${tail(finished.stderr)}`);
    }
  }

  /** Runs the peer once (`RUNS=1`, the bench's phase counts) and returns its figures; throws with the reason it gave none. */
  async run(peer: PeerId): Promise<SystemFigures> {
    const env: NodeJS.ProcessEnv = {
      ...peerEnvironment(join(this.dir, 'tmp')),
      ...PEERS[peer].env,
      RUNS: '1',
      WARMUP: String(this.counts.warmup),
      WARM_BURST: String(this.counts.burst),
      SINGLE: String(this.counts.single),
      TPUT_N: String(this.counts.throughput),
      PATH: peer === 'dbos' ? pathWithPostgres(process.env.PATH ?? '') : (process.env.PATH ?? ''),
    };
    const finished = await this.track(() => new BoundedScript('./run.sh', [], join(this.dir, PEERS[peer].folder), env, PEER_RUN_TIMEOUT_MS));
    const fields = parsePeerLine(finished.stdout);
    if (finished.code !== 0 || !fields) {
      const why = finished.timedOut ? `no result within ${PEER_RUN_TIMEOUT_MS / 1000} s, stopped` : `exit ${finished.code}`;
      throw new Error(`${why}: ${tail(`${finished.stdout}\n${finished.stderr}`)}`);
    }
    return peerFigures(fields, this.counts);
  }

  /** Stops a run under way (by PID, see {@link BoundedScript}) and removes the temporary folder. */
  async close(): Promise<void> {
    this.closed = true;
    await this.current?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async track(start: () => BoundedScript): Promise<Finished> {
    // After close() (an interrupted bench), nothing more starts: its processes would outlive the bench.
    if (this.closed) throw new Error('the peers were stopped');
    const script = (this.current = start());
    try {
      return await script.finished;
    } finally {
      this.current = null;
    }
  }
}
