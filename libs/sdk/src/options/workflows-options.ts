import { hostname } from 'node:os';
import { idProblem } from '#workflows/protocol';

/** Options of `WorkflowsModule.forRoot()`. Everything is optional; the environment supplies the rest. */
export interface WorkflowsModuleOptions {
  /** The workspace key. @default env `MISTRAL_API_KEY`; in embedded mode one is created when unset */
  apiKey?: string;
  /** The platform's base URL; unset starts the embedded platform in this process. @default env `SERVER_URL` */
  serverUrl?: string;
  /** The group of workers that shares work. @default env `DEPLOYMENT_NAME`, else `'default'` */
  deploymentName?: string;
  /** This worker's name in logs and history. @default env `WORKER_NAME`, else the host name */
  workerName?: string;
  /** Run a worker (register and poll). False for an app that only uses `WorkflowsClient`. @default true */
  worker?: boolean;
  /** Workflow tasks run at once. @default env `WORKFLOWS_MAX_CONCURRENT_WORKFLOW_TASKS`, else 50 */
  maxConcurrentWorkflowTasks?: number;
  /** Activity tasks run at once. @default env `WORKFLOWS_MAX_CONCURRENT_ACTIVITY_TASKS`, else 100 */
  maxConcurrentActivityTasks?: number;
  /** Longest a poll waits for a task before asking again. @default 30000 */
  pollWaitMs?: number;
  /** How long in-flight tasks may run on after shutdown begins. @default env `WORKFLOWS_SHUTDOWN_GRACE_MS`, else 10000 */
  shutdownGraceMs?: number;
  /**
   * Executions kept in memory between their workflow tasks (the sticky cache, least recently used
   * evicted first): their next task is applied without replaying the history. 0 disables it.
   * Keep it above the executions one worker has in flight: a run it dropped replays from its whole
   * history at its next task.
   * @default env `WORKFLOWS_MAX_CACHED_WORKFLOWS`, else 4000
   */
  maxCachedWorkflows?: number;
  /**
   * Worker threads that run workflow code (workflow and query tasks), one task at a time each, so
   * that code which never yields can be stopped (see `deadlockTimeoutMs`). 0 runs workflow code on
   * the main thread, with no deadlock detection.
   * @default env `WORKFLOWS_WORKFLOW_THREADS`, else 1
   */
  workflowThreads?: number;
  /**
   * How long workflow code may run without yielding (awaiting `ctx` or an activity) before its
   * workflow task fails with `DeadlockError` and its thread is replaced. Needs `workflowThreads` >= 1.
   * @default env `WORKFLOWS_DEADLOCK_TIMEOUT_MS`, else 2000
   */
  deadlockTimeoutMs?: number;
  /** The embedded platform (used only when `serverUrl` is unset). */
  embedded?: EmbeddedPlatformOptions;
}

/** Options of the platform started inside the worker app when no `serverUrl` is set. */
export interface EmbeddedPlatformOptions {
  /** @default env `WORKFLOWS_HOST`, else `'127.0.0.1'` */
  host?: string;
  /** @default env `WORKFLOWS_PORT`, else 7420; 0 picks a free port */
  port?: number;
  /** SQLite file, or `':memory:'`. @default env `WORKFLOWS_DB_PATH`, else `'.workflows/platform.db'` */
  databasePath?: string;
  /** The namespace the embedded key maps to. @default `'default'` */
  namespace?: string;
}

/** Options after defaults and the environment were applied, and validated. */
export interface ResolvedWorkflowsOptions {
  apiKey: string | null;
  serverUrl: string | null;
  deploymentName: string;
  workerName: string;
  worker: boolean;
  maxConcurrentWorkflowTasks: number;
  maxConcurrentActivityTasks: number;
  pollWaitMs: number;
  shutdownGraceMs: number;
  maxCachedWorkflows: number;
  workflowThreads: number;
  deadlockTimeoutMs: number;
  embedded: Required<EmbeddedPlatformOptions>;
}

/** Default port of the embedded platform. */
export const DEFAULT_EMBEDDED_PORT = 7420;

/** Default number of workflow threads. */
const DEFAULT_WORKFLOW_THREADS = 1;
/** Shortest deadlock timeout: a thread is checked a few times per timeout. */
const MIN_DEADLOCK_TIMEOUT_MS = 100;

/** Thrown when options are invalid; lists every problem. */
export class WorkflowsOptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid WorkflowsModule options:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'WorkflowsOptionsError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Applies the environment and defaults to `raw` and validates the result. Pure: reads only its
 * arguments. Throws one {@link WorkflowsOptionsError} listing every problem.
 */
export function resolveWorkflowsOptions(raw: WorkflowsModuleOptions = {}, env: Env = {}): ResolvedWorkflowsOptions {
  const problems: string[] = [];
  const pick = (value: string | undefined, envName: string): string | undefined => {
    const chosen = value ?? env[envName];
    return chosen === undefined || chosen === '' ? undefined : chosen;
  };

  const serverUrl = pick(raw.serverUrl, 'SERVER_URL');
  if (serverUrl !== undefined && !isHttpUrl(serverUrl)) {
    problems.push(`serverUrl (SERVER_URL) must be an http:// or https:// URL, got '${serverUrl}'`);
  }
  const apiKey = pick(raw.apiKey, 'MISTRAL_API_KEY');
  if (serverUrl !== undefined && apiKey === undefined) {
    problems.push('apiKey (MISTRAL_API_KEY) is required when serverUrl (SERVER_URL) is set');
  }
  if (apiKey !== undefined && (apiKey.length > 512 || /\s/.test(apiKey))) {
    problems.push('apiKey (MISTRAL_API_KEY) must be at most 512 characters with no whitespace');
  }

  const deploymentName = pick(raw.deploymentName, 'DEPLOYMENT_NAME') ?? 'default';
  const deploymentProblem = idProblem(deploymentName);
  if (deploymentProblem) problems.push(`deploymentName (DEPLOYMENT_NAME) ${deploymentProblem}`);
  const workerName = pick(raw.workerName, 'WORKER_NAME') ?? hostname();
  const workerProblem = idProblem(workerName);
  if (workerProblem) problems.push(`workerName (WORKER_NAME) ${workerProblem}`);

  const count = (value: number | undefined, name: string, fallback: number, min = 1, envName?: string): number => {
    const fromEnv = envName ? pick(undefined, envName) : undefined;
    const chosen = value ?? (fromEnv === undefined ? fallback : Number(fromEnv));
    if (!Number.isInteger(chosen) || chosen < min) {
      const label = envName ? `${name} (${envName})` : name;
      problems.push(`${label} must be a whole number >= ${min}, got ${fromEnv ?? chosen}`);
    }
    return chosen;
  };

  const embedded = raw.embedded ?? {};
  const portText = embedded.port ?? pick(undefined, 'WORKFLOWS_PORT');
  const port = portText === undefined ? DEFAULT_EMBEDDED_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push(`embedded.port (WORKFLOWS_PORT) must be a port number 0-65535, got '${portText}'`);
  }

  const resolved: ResolvedWorkflowsOptions = {
    apiKey: apiKey ?? null,
    serverUrl: serverUrl ? serverUrl.replace(/\/+$/, '') : null,
    deploymentName,
    workerName,
    worker: raw.worker ?? true,
    maxConcurrentWorkflowTasks: count(raw.maxConcurrentWorkflowTasks, 'maxConcurrentWorkflowTasks', 50, 1, 'WORKFLOWS_MAX_CONCURRENT_WORKFLOW_TASKS'),
    maxConcurrentActivityTasks: count(raw.maxConcurrentActivityTasks, 'maxConcurrentActivityTasks', 100, 1, 'WORKFLOWS_MAX_CONCURRENT_ACTIVITY_TASKS'),
    pollWaitMs: count(raw.pollWaitMs, 'pollWaitMs', 30_000, 100),
    shutdownGraceMs: count(raw.shutdownGraceMs, 'shutdownGraceMs', 10_000, 0, 'WORKFLOWS_SHUTDOWN_GRACE_MS'),
    maxCachedWorkflows: count(raw.maxCachedWorkflows, 'maxCachedWorkflows', 4000, 0, 'WORKFLOWS_MAX_CACHED_WORKFLOWS'),
    workflowThreads: count(raw.workflowThreads, 'workflowThreads', DEFAULT_WORKFLOW_THREADS, 0, 'WORKFLOWS_WORKFLOW_THREADS'),
    deadlockTimeoutMs: count(raw.deadlockTimeoutMs, 'deadlockTimeoutMs', 2000, MIN_DEADLOCK_TIMEOUT_MS, 'WORKFLOWS_DEADLOCK_TIMEOUT_MS'),
    embedded: {
      host: embedded.host ?? pick(undefined, 'WORKFLOWS_HOST') ?? '127.0.0.1',
      port,
      databasePath: embedded.databasePath ?? pick(undefined, 'WORKFLOWS_DB_PATH') ?? '.workflows/platform.db',
      namespace: embedded.namespace ?? 'default',
    },
  };
  if (problems.length > 0) throw new WorkflowsOptionsError(problems);
  return resolved;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
