import type { ClientBase } from 'pg';
import { ErrorCode } from '#workflows/protocol';
import { PlatformError } from '../../errors/platform.error.js';

/** One numbered schema change; applied once, in order. */
export interface PostgresMigration {
  version: number;
  description: string;
  sql: string;
}

/**
 * Every schema change, oldest first. Append only: a released migration is never edited.
 * Tables live in the store's schema (the connection's `search_path`). Times are BIGINT epoch
 * milliseconds and JSON is kept as TEXT, as in SQLite: both engines share one row shape and
 * one mapping, and no query looks inside the JSON but the session's workflow list. Names that
 * are listed in order use the "C" collation: byte order, whatever the database's locale.
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    description: 'api keys, worker sessions, executions, history, tasks with deadlines',
    sql: `
      CREATE TABLE api_keys (
        digest TEXT PRIMARY KEY,
        namespace TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE worker_sessions (
        worker_id TEXT PRIMARY KEY,
        namespace TEXT NOT NULL,
        worker_name TEXT NOT NULL,
        deployment_name TEXT NOT NULL,
        workflows TEXT NOT NULL,
        activities TEXT NOT NULL,
        opened_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX worker_sessions_live ON worker_sessions (namespace, expires_at);
      CREATE INDEX worker_sessions_expiry ON worker_sessions (expires_at);
      CREATE TABLE workflow_registrations (
        namespace TEXT NOT NULL,
        workflow_name TEXT COLLATE "C" NOT NULL,
        deployment_name TEXT COLLATE "C" NOT NULL,
        worker_id TEXT NOT NULL,
        last_registered_at BIGINT NOT NULL,
        PRIMARY KEY (namespace, workflow_name, deployment_name)
      );
      CREATE TABLE executions (
        namespace TEXT NOT NULL,
        execution_id TEXT COLLATE "C" NOT NULL,
        run_id TEXT NOT NULL UNIQUE,
        workflow_name TEXT NOT NULL,
        deployment_name TEXT,
        parent_execution_id TEXT,
        root_execution_id TEXT NOT NULL,
        status TEXT NOT NULL,
        input TEXT,
        result TEXT,
        failure TEXT,
        start_time BIGINT NOT NULL,
        end_time BIGINT,
        last_event_id INTEGER NOT NULL,
        PRIMARY KEY (namespace, execution_id)
      );
      CREATE INDEX executions_newest ON executions (namespace, start_time DESC, execution_id DESC);
      CREATE TABLE history_events (
        run_id TEXT NOT NULL,
        event_id INTEGER NOT NULL,
        namespace TEXT NOT NULL,
        execution_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        event_timestamp BIGINT NOT NULL,
        activity_id INTEGER,
        attributes TEXT NOT NULL,
        PRIMARY KEY (run_id, event_id)
      );
      CREATE TABLE tasks (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        namespace TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('workflow', 'activity')),
        execution_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        name TEXT NOT NULL,
        deployment_name TEXT,
        state TEXT NOT NULL CHECK (state IN ('queued', 'leased', 'closed')),
        attempt INTEGER NOT NULL,
        visible_at BIGINT NOT NULL,
        lease_expires_at BIGINT,
        worker_id TEXT,
        worker_name TEXT,
        last_seen_event_id INTEGER,
        payload TEXT,
        heartbeat_details TEXT,
        leased_at BIGINT,
        heartbeat_at BIGINT,
        deadline_at BIGINT,
        last_failure TEXT,
        closed_at BIGINT
      );
      CREATE INDEX tasks_claim ON tasks (namespace, kind, name, visible_at, id) WHERE state = 'queued';
      CREATE INDEX tasks_run ON tasks (run_id);
      CREATE INDEX tasks_leased ON tasks (worker_id) WHERE state = 'leased';
      CREATE UNIQUE INDEX tasks_one_workflow_task_per_run ON tasks (run_id) WHERE kind = 'workflow' AND state <> 'closed';
      CREATE INDEX tasks_deadline ON tasks (deadline_at, id) WHERE deadline_at IS NOT NULL;
      CREATE INDEX tasks_closed ON tasks (closed_at) WHERE state = 'closed';
    `,
  },
  {
    version: 2,
    description: 'timers and queries as tasks, activity cancellation, query answers, workflow definitions, update ids',
    // cancel_requested is 0/1 as in SQLite, so that both engines share one row shape.
    sql: `
      ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
      ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check CHECK (kind IN ('workflow', 'activity', 'query', 'timer'));
      ALTER TABLE tasks
        ADD COLUMN answer TEXT,
        ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1));
      ALTER TABLE workflow_registrations ADD COLUMN definition TEXT;
      ALTER TABLE history_events ADD COLUMN update_id TEXT;
      CREATE INDEX history_events_update ON history_events (run_id, update_id) WHERE update_id IS NOT NULL;
    `,
  },
  {
    version: 3,
    description: 'continue-as-new and history limits: the current run was warned of its history size',
    // 0/1 as in SQLite. A continued run's history stays under its run id; the executions row points to the new run.
    sql: `
      ALTER TABLE executions ADD COLUMN history_warned INTEGER NOT NULL DEFAULT 0 CHECK (history_warned IN (0, 1));
    `,
  },
  {
    version: 4,
    description: 'sticky execution: the worker that answered a run last, and the workflow tasks offered to it first',
    sql: `
      ALTER TABLE executions ADD COLUMN sticky_worker_id TEXT;
      ALTER TABLE tasks ADD COLUMN sticky_worker_id TEXT;
      ALTER TABLE tasks ADD COLUMN sticky_until BIGINT;
      CREATE INDEX tasks_sticky ON tasks (sticky_worker_id) WHERE sticky_worker_id IS NOT NULL;
    `,
  },
  {
    version: 5,
    description: 'child workflows: the run that started a child, its id for the child, and what happens to the child when that run closes',
    sql: `
      ALTER TABLE executions ADD COLUMN parent_run_id TEXT;
      ALTER TABLE executions ADD COLUMN parent_child_id INTEGER;
      ALTER TABLE executions ADD COLUMN parent_initiated_event_id BIGINT;
      ALTER TABLE executions ADD COLUMN parent_close_policy TEXT CHECK (parent_close_policy IN ('TERMINATE', 'REQUEST_CANCEL', 'ABANDON'));
      CREATE INDEX executions_children ON executions (parent_run_id) WHERE parent_run_id IS NOT NULL;
    `,
  },
  {
    version: 6,
    description: 'incremental history: the last event the worker holding a run in memory has seen',
    sql: `
      ALTER TABLE executions ADD COLUMN sticky_event_id BIGINT;
    `,
  },
];

/** The newest schema version this code knows. */
export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1]!.version;

/**
 * Applies the migrations the schema lacks, each in its own transaction, under a session-level
 * advisory lock keyed by the schema, so that nodes starting together migrate once. Refuses a
 * schema whose version is newer than this code's, naming both: an older platform must not write
 * into a schema it does not know. `schema` must already be a safe identifier.
 */
export async function migratePostgres(client: ClientBase, schema: string, location: string): Promise<void> {
  await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`workflows.migrations.${schema}`]);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number | null }>(`SELECT MAX(version) AS version FROM ${schema}.schema_version`);
    const current = rows[0]?.version ?? 0;
    if (current > POSTGRES_SCHEMA_VERSION) {
      throw new PlatformError(
        ErrorCode.Internal,
        `The database ${location} has schema version ${current}, newer than this platform's ${POSTGRES_SCHEMA_VERSION}: upgrade the platform`,
      );
    }
    for (const migration of POSTGRES_MIGRATIONS) {
      if (migration.version <= current) continue;
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL search_path TO ${schema}`);
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_version (version) VALUES ($1)', [migration.version]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`workflows.migrations.${schema}`]).catch(() => undefined);
  }
}
