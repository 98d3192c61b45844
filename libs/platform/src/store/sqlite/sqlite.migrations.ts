import type Database from 'better-sqlite3';
import { ErrorCode } from '#workflows/protocol';
import { PlatformError } from '../../errors/platform.error.js';

/** One numbered schema change; applied once, in order, in its own transaction. */
export interface SqliteMigration {
  version: number;
  description: string;
  sql: string;
}

/** Every schema change, oldest first. Append only: a released migration is never edited. */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'api keys, worker sessions, executions, history, tasks',
    sql: `
      CREATE TABLE api_keys (
        digest TEXT PRIMARY KEY,
        namespace TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE worker_sessions (
        worker_id TEXT PRIMARY KEY,
        namespace TEXT NOT NULL,
        worker_name TEXT NOT NULL,
        deployment_name TEXT NOT NULL,
        workflows TEXT NOT NULL,
        activities TEXT NOT NULL,
        opened_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX worker_sessions_live ON worker_sessions (namespace, expires_at);
      CREATE TABLE workflow_registrations (
        namespace TEXT NOT NULL,
        workflow_name TEXT NOT NULL,
        deployment_name TEXT NOT NULL,
        worker_id TEXT NOT NULL,
        last_registered_at INTEGER NOT NULL,
        PRIMARY KEY (namespace, workflow_name, deployment_name)
      ) WITHOUT ROWID;
      CREATE TABLE executions (
        namespace TEXT NOT NULL,
        execution_id TEXT NOT NULL,
        run_id TEXT NOT NULL UNIQUE,
        workflow_name TEXT NOT NULL,
        deployment_name TEXT,
        parent_execution_id TEXT,
        root_execution_id TEXT NOT NULL,
        status TEXT NOT NULL,
        input TEXT,
        result TEXT,
        failure TEXT,
        start_time INTEGER NOT NULL,
        end_time INTEGER,
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
        event_timestamp INTEGER NOT NULL,
        activity_id INTEGER,
        attributes TEXT NOT NULL,
        PRIMARY KEY (run_id, event_id)
      ) WITHOUT ROWID;
      CREATE TABLE tasks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        namespace TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('workflow', 'activity')),
        execution_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        name TEXT NOT NULL,
        deployment_name TEXT,
        state TEXT NOT NULL CHECK (state IN ('queued', 'leased')),
        attempt INTEGER NOT NULL,
        visible_at INTEGER NOT NULL,
        lease_expires_at INTEGER,
        worker_id TEXT,
        last_seen_event_id INTEGER,
        payload TEXT,
        heartbeat_details TEXT
      );
      CREATE INDEX tasks_claim ON tasks (namespace, kind, name, state, visible_at, id);
      CREATE INDEX tasks_run ON tasks (run_id);
      CREATE INDEX tasks_leased ON tasks (worker_id) WHERE state = 'leased';
      CREATE UNIQUE INDEX tasks_one_workflow_task_per_run ON tasks (run_id) WHERE kind = 'workflow';
    `,
  },
  {
    version: 2,
    description: 'task deadlines, heartbeats, closed tasks kept for idempotent completions',
    // SQLite cannot change a CHECK constraint: the table is rebuilt. The AUTOINCREMENT sequence
    // is carried over so that no task id (and so no token) is ever handed out twice. Leases taken
    // before this version get no deadline: session expiry still takes them back.
    sql: `
      ALTER TABLE tasks RENAME TO tasks_v1;
      CREATE TABLE tasks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        namespace TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('workflow', 'activity')),
        execution_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        name TEXT NOT NULL,
        deployment_name TEXT,
        state TEXT NOT NULL CHECK (state IN ('queued', 'leased', 'closed')),
        attempt INTEGER NOT NULL,
        visible_at INTEGER NOT NULL,
        lease_expires_at INTEGER,
        worker_id TEXT,
        worker_name TEXT,
        last_seen_event_id INTEGER,
        payload TEXT,
        heartbeat_details TEXT,
        leased_at INTEGER,
        heartbeat_at INTEGER,
        deadline_at INTEGER,
        last_failure TEXT,
        closed_at INTEGER
      );
      INSERT INTO tasks (id, namespace, kind, execution_id, run_id, name, deployment_name, state, attempt, visible_at,
          lease_expires_at, worker_id, last_seen_event_id, payload, heartbeat_details)
        SELECT id, namespace, kind, execution_id, run_id, name, deployment_name, state, attempt, visible_at,
          lease_expires_at, worker_id, last_seen_event_id, payload, heartbeat_details
        FROM tasks_v1;
      UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'tasks_v1'), 0))
        WHERE name = 'tasks';
      INSERT INTO sqlite_sequence (name, seq)
        SELECT 'tasks', seq FROM sqlite_sequence
        WHERE name = 'tasks_v1' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'tasks');
      DROP TABLE tasks_v1;
      CREATE INDEX tasks_claim ON tasks (namespace, kind, name, state, visible_at, id);
      CREATE INDEX tasks_run ON tasks (run_id);
      CREATE INDEX tasks_leased ON tasks (worker_id) WHERE state = 'leased';
      CREATE UNIQUE INDEX tasks_one_workflow_task_per_run ON tasks (run_id) WHERE kind = 'workflow' AND state <> 'closed';
      CREATE INDEX tasks_deadline ON tasks (deadline_at) WHERE deadline_at IS NOT NULL;
      CREATE INDEX tasks_closed ON tasks (closed_at) WHERE state = 'closed';
    `,
  },
  {
    version: 3,
    description: 'timers and queries as tasks, activity cancellation, query answers, workflow definitions, update ids',
    // The kind CHECK constraint changes: the table is rebuilt as in version 2, its AUTOINCREMENT
    // sequence carried over.
    sql: `
      ALTER TABLE tasks RENAME TO tasks_v2;
      CREATE TABLE tasks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        namespace TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('workflow', 'activity', 'query', 'timer')),
        execution_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        name TEXT NOT NULL,
        deployment_name TEXT,
        state TEXT NOT NULL CHECK (state IN ('queued', 'leased', 'closed')),
        attempt INTEGER NOT NULL,
        visible_at INTEGER NOT NULL,
        lease_expires_at INTEGER,
        worker_id TEXT,
        worker_name TEXT,
        last_seen_event_id INTEGER,
        payload TEXT,
        heartbeat_details TEXT,
        leased_at INTEGER,
        heartbeat_at INTEGER,
        deadline_at INTEGER,
        last_failure TEXT,
        closed_at INTEGER,
        answer TEXT,
        cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1))
      );
      INSERT INTO tasks (id, namespace, kind, execution_id, run_id, name, deployment_name, state, attempt, visible_at,
          lease_expires_at, worker_id, worker_name, last_seen_event_id, payload, heartbeat_details, leased_at, heartbeat_at,
          deadline_at, last_failure, closed_at)
        SELECT id, namespace, kind, execution_id, run_id, name, deployment_name, state, attempt, visible_at,
          lease_expires_at, worker_id, worker_name, last_seen_event_id, payload, heartbeat_details, leased_at, heartbeat_at,
          deadline_at, last_failure, closed_at
        FROM tasks_v2;
      UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'tasks_v2'), 0))
        WHERE name = 'tasks';
      INSERT INTO sqlite_sequence (name, seq)
        SELECT 'tasks', seq FROM sqlite_sequence
        WHERE name = 'tasks_v2' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'tasks');
      DROP TABLE tasks_v2;
      CREATE INDEX tasks_claim ON tasks (namespace, kind, name, state, visible_at, id);
      CREATE INDEX tasks_run ON tasks (run_id);
      CREATE INDEX tasks_leased ON tasks (worker_id) WHERE state = 'leased';
      CREATE UNIQUE INDEX tasks_one_workflow_task_per_run ON tasks (run_id) WHERE kind = 'workflow' AND state <> 'closed';
      CREATE INDEX tasks_deadline ON tasks (deadline_at) WHERE deadline_at IS NOT NULL;
      CREATE INDEX tasks_closed ON tasks (closed_at) WHERE state = 'closed';
      ALTER TABLE workflow_registrations ADD COLUMN definition TEXT;
      ALTER TABLE history_events ADD COLUMN update_id TEXT;
      CREATE INDEX history_events_update ON history_events (run_id, update_id) WHERE update_id IS NOT NULL;
    `,
  },
  {
    version: 4,
    description: 'continue-as-new and history limits: the current run was warned of its history size',
    // A continued run's history stays under its run id (history_events keeps namespace and
    // execution id), so the executions row simply points to the new run.
    sql: `
      ALTER TABLE executions ADD COLUMN history_warned INTEGER NOT NULL DEFAULT 0 CHECK (history_warned IN (0, 1));
    `,
  },
  {
    version: 5,
    description: 'sticky execution: the worker that answered a run last, and the workflow tasks offered to it first',
    sql: `
      ALTER TABLE executions ADD COLUMN sticky_worker_id TEXT;
      ALTER TABLE tasks ADD COLUMN sticky_worker_id TEXT;
      ALTER TABLE tasks ADD COLUMN sticky_until INTEGER;
      CREATE INDEX tasks_sticky ON tasks (sticky_worker_id) WHERE sticky_worker_id IS NOT NULL;
    `,
  },
  {
    version: 6,
    description: 'child workflows: the run that started a child, its id for the child, and what happens to the child when that run closes',
    sql: `
      ALTER TABLE executions ADD COLUMN parent_run_id TEXT;
      ALTER TABLE executions ADD COLUMN parent_child_id INTEGER;
      ALTER TABLE executions ADD COLUMN parent_initiated_event_id INTEGER;
      ALTER TABLE executions ADD COLUMN parent_close_policy TEXT CHECK (parent_close_policy IN ('TERMINATE', 'REQUEST_CANCEL', 'ABANDON'));
      CREATE INDEX executions_children ON executions (parent_run_id) WHERE parent_run_id IS NOT NULL;
    `,
  },
  {
    version: 7,
    description: 'incremental history: the last event the worker holding a run in memory has seen',
    sql: `
      ALTER TABLE executions ADD COLUMN sticky_event_id INTEGER;
    `,
  },
];

/** The newest schema version this code knows. */
export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1]!.version;

/**
 * Applies the migrations the database lacks. Refuses a database whose version is newer than
 * this code's: an older platform must not write into a schema it does not know.
 */
export function migrateSqlite(db: Database.Database, location: string): void {
  // One immediate transaction, so that two processes opening the same file migrate once.
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as { version: number | null };
    const current = row.version ?? 0;
    if (current > SQLITE_SCHEMA_VERSION) {
      throw new PlatformError(
        ErrorCode.Internal,
        `The database ${location} has schema version ${current}, newer than this platform's ${SQLITE_SCHEMA_VERSION}: upgrade the platform`,
      );
    }
    for (const migration of SQLITE_MIGRATIONS) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(migration.version);
    }
  }).immediate();
}
