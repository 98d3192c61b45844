import type { LoggerService } from '@nestjs/common';
import { SystemClock, idProblem, type Clock } from '#workflows/protocol';
import { PostgresUrlError, SCHEMA_PATTERN, parsePostgresUrl } from '../store/postgres/postgres-connection.js';

/** An API key and the namespace it opens. The key itself is hashed at start and never stored. */
export interface PlatformApiKey {
  key: string;
  namespace: string;
}

/** Options of `startPlatform` and `PlatformModule`. */
export interface PlatformOptions {
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** Port to listen on; 0 picks a free one. @default 7420 */
  port?: number;
  /** SQLite file, or `':memory:'`. @default '.workflows/platform.db' */
  databasePath?: string;
  /** SQLite `synchronous`: `FULL` survives power loss, `NORMAL` a process crash. @default 'FULL' */
  sqliteSynchronous?: 'FULL' | 'NORMAL';
  /**
   * A PostgreSQL URL (`postgres://user:password@host:port/database`): selects the PostgreSQL
   * engine, for several platform processes on one database. Unset selects SQLite at
   * `databasePath`. @default undefined
   */
  databaseUrl?: string;
  /** The PostgreSQL schema the platform's tables live in (created if missing). @default 'workflows' */
  databaseSchema?: string;
  /** Keys accepted, each for one namespace; stored hashed at start. @default [] */
  apiKeys?: PlatformApiKey[];
  /** How often workers must heartbeat. @default 3000 */
  heartbeatIntervalMs?: number;
  /** A session not heard from for this long expires. @default 10000 */
  sessionTimeoutMs?: number;
  /** How long a poll is held when the request does not say. @default 30000 */
  pollWaitMs?: number;
  /** A leased workflow task not completed within this long fails (`WorkflowTaskTimeout`) and is offered again. @default 10000 */
  workflowTaskTimeoutMs?: number;
  /**
   * A run's history this long (in events) or longer: its workflow tasks suggest continuing as new
   * (`continue_as_new_suggested`) and the platform logs a warning once per run. @default 10000
   */
  historyWarnEvents?: number;
  /**
   * A workflow task completion that would take an open run's history past this many events ends
   * the run `FAILED` (`HistoryLimitExceeded`) instead. @default 50000
   */
  historyMaxEvents?: number;
  /** The base URL clients reach the platform at. @default `http://<host>:<port>` */
  publicUrl?: string;
  /** Where the platform writes its own lines; `false` for nowhere. @default a Nest `Logger` */
  logger?: LoggerService | false;
  /** The source of time. @default SystemClock */
  clock?: Clock;
}

/** {@link PlatformOptions} with every default applied. */
export interface ResolvedPlatformOptions {
  host: string;
  port: number;
  databasePath: string;
  sqliteSynchronous: 'FULL' | 'NORMAL';
  /** `null` selects SQLite. */
  databaseUrl: string | null;
  databaseSchema: string;
  apiKeys: PlatformApiKey[];
  heartbeatIntervalMs: number;
  sessionTimeoutMs: number;
  pollWaitMs: number;
  workflowTaskTimeoutMs: number;
  historyWarnEvents: number;
  historyMaxEvents: number;
  /** `null` until the server listens and the URL is known. */
  publicUrl: string | null;
  logger: LoggerService | false | undefined;
  clock: Clock;
}

/** Invalid platform options; the message lists every problem. */
export class PlatformOptionsError extends Error {
  override readonly name = 'PlatformOptionsError';
}

/** The default port of the platform. */
export const DEFAULT_PLATFORM_PORT = 7420;

/** The default database file of the platform. */
export const DEFAULT_DATABASE_PATH = '.workflows/platform.db';

/** The default soft limit of a run's history, in events (R35). */
export const DEFAULT_HISTORY_WARN_EVENTS = 10_000;

/** The default hard limit of a run's history, in events (R35). */
export const DEFAULT_HISTORY_MAX_EVENTS = 50_000;

/** The default PostgreSQL schema of the platform's tables. */
export const DEFAULT_DATABASE_SCHEMA = 'workflows';

/**
 * Applies defaults and validates. Throws one `Error` that lists every problem, so that a
 * misconfigured platform says everything wrong at once.
 */
export function applyPlatformDefaults(options: PlatformOptions = {}): ResolvedPlatformOptions {
  const problems: string[] = [];
  const positive = (name: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || value <= 0) problems.push(`${name} must be a positive integer (got ${value})`);
    return value;
  };
  const port = options.port ?? DEFAULT_PLATFORM_PORT;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) problems.push(`port must be an integer from 0 to 65535 (got ${port})`);
  const sqliteSynchronous = options.sqliteSynchronous ?? 'FULL';
  if (sqliteSynchronous !== 'FULL' && sqliteSynchronous !== 'NORMAL') {
    problems.push(`sqliteSynchronous must be 'FULL' or 'NORMAL' (got ${String(sqliteSynchronous)})`);
  }
  const databaseUrl = options.databaseUrl?.trim() || null;
  if (databaseUrl !== null) {
    try {
      parsePostgresUrl(databaseUrl);
    } catch (error) {
      if (!(error instanceof PostgresUrlError)) throw error;
      problems.push(`databaseUrl: ${error.message}`);
    }
  }
  const databaseSchema = options.databaseSchema ?? DEFAULT_DATABASE_SCHEMA;
  if (!SCHEMA_PATTERN.test(databaseSchema)) problems.push(`databaseSchema must be a lowercase SQL identifier of at most 48 characters (got '${databaseSchema}')`);
  const apiKeys = options.apiKeys ?? [];
  apiKeys.forEach((entry, index) => {
    if (typeof entry.key !== 'string' || entry.key.length < 8) problems.push(`apiKeys[${index}].key must be a string of at least 8 characters`);
    const namespaceProblem = idProblem(entry.namespace);
    if (namespaceProblem) problems.push(`apiKeys[${index}].namespace ${namespaceProblem}`);
  });
  const heartbeatIntervalMs = positive('heartbeatIntervalMs', options.heartbeatIntervalMs, 3000);
  const sessionTimeoutMs = positive('sessionTimeoutMs', options.sessionTimeoutMs, 10_000);
  if (sessionTimeoutMs <= heartbeatIntervalMs) {
    problems.push(`sessionTimeoutMs (${sessionTimeoutMs}) must be longer than heartbeatIntervalMs (${heartbeatIntervalMs})`);
  }
  const pollWaitMs = positive('pollWaitMs', options.pollWaitMs, 30_000);
  const workflowTaskTimeoutMs = positive('workflowTaskTimeoutMs', options.workflowTaskTimeoutMs, 10_000);
  const historyWarnEvents = positive('historyWarnEvents', options.historyWarnEvents, DEFAULT_HISTORY_WARN_EVENTS);
  const historyMaxEvents = positive('historyMaxEvents', options.historyMaxEvents, DEFAULT_HISTORY_MAX_EVENTS);
  if (historyWarnEvents >= historyMaxEvents) {
    problems.push(`historyWarnEvents (${historyWarnEvents}) must be lower than historyMaxEvents (${historyMaxEvents})`);
  }
  if (problems.length > 0) throw new PlatformOptionsError(`Invalid platform options:\n  - ${problems.join('\n  - ')}`);
  return {
    host: options.host ?? '127.0.0.1',
    port,
    databasePath: options.databasePath ?? DEFAULT_DATABASE_PATH,
    sqliteSynchronous,
    databaseUrl,
    databaseSchema,
    apiKeys,
    heartbeatIntervalMs,
    sessionTimeoutMs,
    pollWaitMs,
    workflowTaskTimeoutMs,
    historyWarnEvents,
    historyMaxEvents,
    publicUrl: options.publicUrl?.replace(/\/+$/, '') ?? null,
    logger: options.logger,
    clock: options.clock ?? new SystemClock(),
  };
}
