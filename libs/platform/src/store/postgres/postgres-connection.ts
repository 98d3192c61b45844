import pg from 'pg';

/** The PostgreSQL type id of `int8` (BIGINT): epoch milliseconds and ids, read as numbers. */
const INT8_OID = 20;

/** What a database URL says, without its password, for messages and the startup log. */
export interface PostgresLocation {
  /** `host:port/database`. */
  display: string;
}

/** A database URL that is not a `postgres://` or `postgresql://` URL. */
export class PostgresUrlError extends Error {
  override readonly name = 'PostgresUrlError';
}

/** Whether a URL names PostgreSQL (`postgres://` or `postgresql://`). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url.trim());
}

/** Parses a PostgreSQL URL; throws {@link PostgresUrlError} (never quoting a password) when malformed. */
export function parsePostgresUrl(url: string): PostgresLocation {
  if (!isPostgresUrl(url)) throw new PostgresUrlError('the database URL must start with postgres:// or postgresql://');
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new PostgresUrlError('the database URL is not a valid URL (postgres://user:password@host:port/database)');
  }
  const host = parsed.hostname || 'localhost';
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username) || 'postgres';
  return { display: `${host}:${parsed.port || '5432'}/${database}` };
}

/** A schema name the store accepts: a lowercase SQL identifier, used unquoted. */
export const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,47}$/;

/**
 * The connection settings of the store's pool and its listening connection: the schema as the
 * search path, BIGINT read as a number (every value the store keeps fits in 2^53), TCP
 * keep-alive, and a connect timeout so that requests fail fast (503) while the database is down.
 */
export function postgresClientConfig(url: string, schema: string, connectTimeoutMs: number): pg.ClientConfig {
  return {
    connectionString: url,
    options: `-c search_path=${schema}`,
    // Names the platform's connections in pg_stat_activity, per schema.
    application_name: `workflows ${schema}`,
    keepAlive: true,
    connectionTimeoutMillis: connectTimeoutMs,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
    },
  };
}
