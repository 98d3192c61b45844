import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowsClient } from '#workflows/sdk';
import { SpawnedProcess, startPlatformProcess, startWorkerProcess } from './spawned-process.js';

/**
 * What most e2e specs set up: a temporary folder, one platform process on a SQLite file in it, a
 * client of it, and the worker processes a test starts; {@link close} kills every process by PID
 * and removes the folder.
 */
export class E2eCluster {
  readonly dir: string;
  readonly processes: SpawnedProcess[] = [];
  url!: string;
  client!: WorkflowsClient;

  constructor(
    private readonly apiKey: string,
    private readonly namespace: string,
    private readonly workerScript: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `wf-${namespace}-`));
  }

  /** Starts the platform with `env` beside its SQLite file, and connects the client. */
  async start(env: Record<string, string> = {}): Promise<void> {
    const platform = await startPlatformProcess(`${this.apiKey}:${this.namespace}`, { WORKFLOWS_DB_PATH: join(this.dir, 'platform.db'), ...env });
    this.processes.push(platform.process);
    this.url = platform.url;
    this.client = WorkflowsClient.connect({ serverUrl: this.url, apiKey: this.apiKey });
  }

  /** Starts a worker process of the cluster's worker script; resolves once it registered. */
  async worker(name: string, env: Record<string, string> = {}): Promise<SpawnedProcess> {
    const started = await startWorkerProcess(name, this.url, this.apiKey, this.workerScript, env);
    this.processes.push(started);
    return started;
  }

  /** Closes the client, kills every process it started (last first), removes the folder. */
  async close(): Promise<void> {
    await this.client?.close();
    for (const child of [...this.processes].reverse()) await child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
