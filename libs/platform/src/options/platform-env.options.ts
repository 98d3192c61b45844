import { PostgresUrlError, parsePostgresUrl } from '../store/postgres/postgres-connection.js';
import type { PlatformApiKey, PlatformOptions } from './platform.options.js';

/** The environment variables the standalone platform reads. */
export type PlatformEnv = Partial<Record<string, string | undefined>>;

/** A configuration problem of the standalone platform: its message is shown as is, without a stack. */
export class PlatformEnvError extends Error {
  override readonly name = 'PlatformEnvError';
}

/**
 * Reads the standalone platform's options from the environment: `WORKFLOWS_HOST`,
 * `WORKFLOWS_PORT`, `WORKFLOWS_DB_PATH`, `WORKFLOWS_SQLITE_SYNCHRONOUS`, `WORKFLOWS_DATABASE_URL`
 * (`postgres://…` selects PostgreSQL), `WORKFLOWS_DATABASE_SCHEMA`, `WORKFLOWS_API_KEYS`
 * (`key:namespace,…`), `WORKFLOWS_HEARTBEAT_INTERVAL_MS`, `WORKFLOWS_SESSION_TIMEOUT_MS`,
 * `WORKFLOWS_WORKFLOW_TASK_TIMEOUT_MS`, `WORKFLOWS_HISTORY_WARN_EVENTS`, `WORKFLOWS_HISTORY_MAX_EVENTS`, `WORKFLOWS_PUBLIC_URL`. Unset or empty means the default. Throws a {@link PlatformEnvError}
 * naming every malformed variable; API keys and database URLs (passwords) never appear in its message.
 */
export function resolvePlatformOptions(env: PlatformEnv): PlatformOptions {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const integer = (name: string, min: number, max: number): number | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got '${value}')`);
      return undefined;
    }
    return parsed;
  };

  const options: PlatformOptions = {};
  const host = text('WORKFLOWS_HOST');
  if (host) options.host = host;
  const port = integer('WORKFLOWS_PORT', 0, 65_535);
  if (port !== undefined) options.port = port;
  const databasePath = text('WORKFLOWS_DB_PATH');
  if (databasePath) options.databasePath = databasePath;
  const synchronous = text('WORKFLOWS_SQLITE_SYNCHRONOUS')?.toUpperCase();
  if (synchronous === 'FULL' || synchronous === 'NORMAL') options.sqliteSynchronous = synchronous;
  else if (synchronous !== undefined) problems.push(`WORKFLOWS_SQLITE_SYNCHRONOUS must be FULL or NORMAL (got '${synchronous}')`);
  const databaseUrl = text('WORKFLOWS_DATABASE_URL');
  if (databaseUrl) {
    try {
      parsePostgresUrl(databaseUrl);
      options.databaseUrl = databaseUrl;
    } catch (error) {
      if (!(error instanceof PostgresUrlError)) throw error;
      problems.push(`WORKFLOWS_DATABASE_URL: ${error.message}`);
    }
  }
  const databaseSchema = text('WORKFLOWS_DATABASE_SCHEMA');
  if (databaseSchema) options.databaseSchema = databaseSchema;
  const heartbeat = integer('WORKFLOWS_HEARTBEAT_INTERVAL_MS', 1, 3_600_000);
  if (heartbeat !== undefined) options.heartbeatIntervalMs = heartbeat;
  const timeout = integer('WORKFLOWS_SESSION_TIMEOUT_MS', 1, 3_600_000);
  if (timeout !== undefined) options.sessionTimeoutMs = timeout;
  const workflowTaskTimeout = integer('WORKFLOWS_WORKFLOW_TASK_TIMEOUT_MS', 1, 3_600_000);
  if (workflowTaskTimeout !== undefined) options.workflowTaskTimeoutMs = workflowTaskTimeout;
  const historyWarn = integer('WORKFLOWS_HISTORY_WARN_EVENTS', 1, 10_000_000);
  if (historyWarn !== undefined) options.historyWarnEvents = historyWarn;
  const historyMax = integer('WORKFLOWS_HISTORY_MAX_EVENTS', 2, 10_000_000);
  if (historyMax !== undefined) options.historyMaxEvents = historyMax;
  const publicUrl = text('WORKFLOWS_PUBLIC_URL');
  if (publicUrl) options.publicUrl = publicUrl;
  options.apiKeys = parseApiKeys(text('WORKFLOWS_API_KEYS'), problems);

  if (problems.length > 0) throw new PlatformEnvError(`Invalid environment:\n  - ${problems.join('\n  - ')}`);
  return options;
}

function parseApiKeys(value: string | undefined, problems: string[]): PlatformApiKey[] {
  if (value === undefined) return [];
  const keys: PlatformApiKey[] = [];
  value.split(',').forEach((raw, index) => {
    const entry = raw.trim();
    // The namespace follows the last colon, so that a key may itself contain colons.
    const colon = entry.lastIndexOf(':');
    const key = colon > 0 ? entry.slice(0, colon).trim() : '';
    const namespace = colon > 0 ? entry.slice(colon + 1).trim() : '';
    if (!key || !namespace) {
      problems.push(`WORKFLOWS_API_KEYS entry ${index + 1} is not 'key:namespace'`);
      return;
    }
    keys.push({ key, namespace });
  });
  return keys;
}
