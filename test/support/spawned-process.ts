import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file also runs compiled, from dist/); specs run the built output under dist/. */
export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'node_modules'))) return dir;
  }
  throw new Error(`No package.json above ${from}`);
}

/** A process an e2e spec started: its output, a way to await a line, and a kill by PID. */
export class SpawnedProcess {
  readonly child: ChildProcess;
  private output = '';
  private readonly listeners = new Set<() => void>();
  private exitCode: number | null | undefined;

  constructor(
    readonly name: string,
    script: string,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, [resolve(ROOT, script)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer): void => {
      this.output += chunk.toString();
      for (const listener of this.listeners) listener();
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.child.on('exit', (code) => {
      this.exitCode = code;
      for (const listener of this.listeners) listener();
    });
  }

  /** Everything the process printed so far. */
  get text(): string {
    return this.output;
  }

  /** Whether the process has exited (on its own, or killed). */
  get exited(): boolean {
    return this.exitCode !== undefined;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the first match of `pattern` in the output; rejects if the process exits or `timeoutMs` passes. */
  waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    return new Promise((resolvePromise, reject) => {
      const check = (): void => {
        const match = this.output.match(pattern);
        if (match) finish(() => resolvePromise(match));
        else if (this.exitCode !== undefined) {
          finish(() => reject(new Error(`${this.name} exited (${this.exitCode}) before printing ${pattern}:\n${this.output}`)));
        }
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`${this.name} did not print ${pattern} within ${timeoutMs} ms:\n${this.output}`))),
        timeoutMs,
      );
      // A wait nobody needs any more (the loser of a race) must not hold the test runner open.
      timer.unref();
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Sends `signal` to the PID and waits for the exit; resolves with the exit code, or the signal that ended it. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string | null> {
    if (this.exitCode === undefined) {
      const exited = once(this.child, 'exit');
      process.kill(this.pid, signal);
      await exited;
    }
    return this.exitCode ?? this.child.signalCode;
  }

  /** Peak resident set size in bytes (VmHWM), while the process runs. */
  peakRssBytes(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status);
    return kb ? Number(kb[1]) * 1024 : 0;
  }
}

/** Starts the standalone platform on a free port with the given `key:namespace` pairs; resolves with its base URL. */
export async function startPlatformProcess(
  apiKeys: string,
  extraEnv: Record<string, string> = {},
): Promise<{ process: SpawnedProcess; url: string }> {
  const platform = new SpawnedProcess('platform', 'dist/libs/platform/src/main.js', {
    WORKFLOWS_PORT: '0',
    WORKFLOWS_DB_PATH: ':memory:',
    WORKFLOWS_API_KEYS: apiKeys,
    ...extraEnv,
  });
  const [url] = await platform.waitFor(/http:\/\/127\.0\.0\.1:\d+(?=\D)/).catch(async (error: unknown) => {
    await platform.kill('SIGKILL');
    throw error;
  });
  return { process: platform, url };
}

/** Starts one example worker app connected to `serverUrl`; resolves once it registered. */
export async function startWorkerProcess(
  name: string,
  serverUrl: string,
  apiKey: string,
  script = 'dist/src/main.js',
  extraEnv: Record<string, string> = {},
): Promise<SpawnedProcess> {
  const worker = new SpawnedProcess(name, script, { SERVER_URL: serverUrl, MISTRAL_API_KEY: apiKey, WORKER_NAME: name, ...extraEnv });
  await worker.waitFor(/registered with/).catch(async (error: unknown) => {
    await worker.kill('SIGKILL');
    throw error;
  });
  return worker;
}

/** A TCP port free right now on 127.0.0.1, for a process that must come back on the same port. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolvePromise) => server.listen(0, '127.0.0.1', resolvePromise));
  const { port } = server.address() as { port: number };
  await new Promise((resolvePromise) => server.close(resolvePromise));
  return port;
}
