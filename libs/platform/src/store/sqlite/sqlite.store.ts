import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import {
  EventType,
  ExecutionStatus,
  type HistoryEvent,
  type TaskWire,
} from '#workflows/protocol';
import { decodeExecutionCursor } from '../page-cursor.js';
import { executionPage, groupRegistrations } from '../store-results.js';
import { SESSION_RETENTION_MS } from '../task-transition.rules.js';
import type {
  ActivityTaskCompletion,
  ActivityTaskHeartbeat,
  ClaimRequest,
  CreatedTask,
  ExecutionFilter,
  ExecutionRecord,
  HeartbeatOutcome,
  NamespaceTasks,
  Page,
  PageRequest,
  StartExecutionOutcome,
  StartExecutionParams,
  Store,
  TaskFailure,
  TaskRelease,
  TimeoutSweep,
  TransitionOutcome,
  WorkerSession,
  WorkerShutdownOutcome,
  WorkflowRegistration,
  WorkflowTaskCompletion,
} from '../store.interface.js';
import { SqliteRunWriter } from './sqlite-run.writer.js';
import { SqliteTaskTransitions } from './sqlite-task.transitions.js';
import { SqliteTimeoutTransitions } from './sqlite-timeout.transitions.js';
import { mapSqliteError } from './sqlite-error.mapper.js';
import { migrateSqlite } from './sqlite.migrations.js';
import {
  toExecutionRecord,
  toHistoryEvent,
  toJson,
  toWorkerSession,
  type ExecutionRow,
  type HistoryEventRow,
  type WorkerSessionRow,
} from '../store.rows.js';
import { SqliteStatements } from './sqlite.statements.js';

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** A file path (its parent directories are created) or `':memory:'`. */
  path: string;
  /** `FULL` survives power loss; `NORMAL` survives a process crash. @default 'FULL' */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a writer waits for another process's lock before `WF_UNAVAILABLE`. @default 5000 */
  busyTimeoutMs?: number;
}

/**
 * The {@link Store} on SQLite (better-sqlite3, WAL). Every method runs one transaction
 * synchronously and returns its outcome as a promise; driver errors are mapped once here.
 */
export class SqliteStore implements Store {
  readonly description: string;
  private db: Database.Database | null = null;
  private statements!: SqliteStatements;
  private writer!: SqliteRunWriter;
  private transitions!: SqliteTaskTransitions;
  private timeouts!: SqliteTimeoutTransitions;

  constructor(private readonly options: SqliteStoreOptions) {
    const synchronous = options.synchronous ?? 'FULL';
    this.description =
      options.path === ':memory:'
        ? 'SQLite in memory (not durable)'
        : `SQLite ${resolve(options.path)} (WAL, synchronous=${synchronous})`;
  }

  async init(): Promise<void> {
    try {
      const { path } = this.options;
      if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
      const db = new Database(path);
      this.db = db;
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${this.options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
      db.pragma(`busy_timeout = ${Math.max(0, Math.round(this.options.busyTimeoutMs ?? 5000))}`);
      db.pragma('foreign_keys = ON');
      migrateSqlite(db, path);
      this.statements = new SqliteStatements(db);
      this.writer = new SqliteRunWriter(this.statements);
      this.transitions = new SqliteTaskTransitions(this.statements, this.writer);
      this.timeouts = new SqliteTimeoutTransitions(this.statements, this.writer);
    } catch (error) {
      this.db?.close();
      this.db = null;
      throw mapSqliteError(error);
    }
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = null;
  }

  /** One process owns a SQLite file: no other process's transitions to report. */
  subscribe(): () => void {
    return () => undefined;
  }

  putApiKey(keyDigest: string, namespace: string, now: number): Promise<void> {
    return this.write(() => {
      this.statements
        .get(
          `INSERT INTO api_keys (digest, namespace, created_at) VALUES (?, ?, ?)
           ON CONFLICT (digest) DO UPDATE SET namespace = excluded.namespace`,
        )
        .run(keyDigest, namespace, now);
    });
  }

  namespaceForKey(keyDigest: string): Promise<string | null> {
    return this.read(() => {
      const namespace = this.statements.get('SELECT namespace FROM api_keys WHERE digest = ?').pluck().get(keyDigest);
      return (namespace as string | undefined) ?? null;
    });
  }

  openWorkerSession(session: WorkerSession): Promise<void> {
    return this.write(() => {
      const s = this.statements;
      s.get('DELETE FROM worker_sessions WHERE expires_at < ?').run(session.openedAt - SESSION_RETENTION_MS);
      s.get(
        `INSERT INTO worker_sessions (worker_id, namespace, worker_name, deployment_name, workflows, activities, opened_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        session.workerId,
        session.namespace,
        session.workerName,
        session.deploymentName,
        JSON.stringify(session.workflows),
        JSON.stringify(session.activities),
        session.openedAt,
        session.expiresAt,
      );
      const register = s.get(
        `INSERT INTO workflow_registrations (namespace, workflow_name, deployment_name, worker_id, last_registered_at)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (namespace, workflow_name, deployment_name)
         DO UPDATE SET worker_id = excluded.worker_id, last_registered_at = excluded.last_registered_at`,
      );
      for (const name of new Set(session.workflows)) {
        register.run(session.namespace, name, session.deploymentName, session.workerId, session.openedAt);
      }
    });
  }

  touchWorkerSession(namespace: string, workerId: string, now: number, expiresAt: number): Promise<boolean> {
    return this.write(() => {
      const changes = this.statements
        .get('UPDATE worker_sessions SET expires_at = ? WHERE worker_id = ? AND namespace = ? AND expires_at > ?')
        .run(expiresAt, workerId, namespace, now).changes;
      return changes > 0;
    });
  }

  getWorkerSession(namespace: string, workerId: string): Promise<WorkerSession | null> {
    return this.read(() => {
      const row = this.statements
        .get('SELECT * FROM worker_sessions WHERE worker_id = ? AND namespace = ?')
        .get(workerId, namespace) as WorkerSessionRow | undefined;
      return row ? toWorkerSession(row) : null;
    });
  }

  shutdownWorkerSession(namespace: string, workerId: string, now: number): Promise<WorkerShutdownOutcome | null> {
    return this.write(() => this.timeouts.shutdownWorkerSession(namespace, workerId, now));
  }

  refreshWorkerSessions(now: number, expiresAt: number): Promise<number> {
    return this.write(() => this.timeouts.refreshWorkerSessions(now, expiresAt));
  }

  listWorkflows(namespace: string, now: number): Promise<WorkflowRegistration[]> {
    return this.read(() => this.workflowRegistrations(namespace, null, now));
  }

  getWorkflow(namespace: string, workflowName: string, now: number): Promise<WorkflowRegistration | null> {
    return this.read(() => this.workflowRegistrations(namespace, workflowName, now)[0] ?? null);
  }

  startExecution(params: StartExecutionParams): Promise<StartExecutionOutcome> {
    return this.write(() => {
      const existing = this.writer.execution(params.namespace, params.executionId);
      if (existing) return { execution: toExecutionRecord(existing), created: false, tasks: [] };
      this.statements
        .get(
          `INSERT INTO executions (namespace, execution_id, run_id, workflow_name, deployment_name, parent_execution_id,
             root_execution_id, status, input, result, failure, start_time, end_time, last_event_id)
           VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, NULL, NULL, ?, NULL, 0)`,
        )
        .run(
          params.namespace,
          params.executionId,
          params.runId,
          params.workflowName,
          params.deploymentName,
          params.executionId,
          ExecutionStatus.Running,
          toJson(params.input),
          params.now,
        );
      const row = this.writer.execution(params.namespace, params.executionId)!;
      this.writer.append(
        row,
        [
          {
            event_type: EventType.WorkflowExecutionStarted,
            attributes: {
              workflow_name: params.workflowName,
              deployment_name: params.deploymentName,
              input: params.input,
              run_id: params.runId,
            },
          },
        ],
        params.now,
      );
      const task = this.writer.queueWorkflowTask(row, params.now);
      return { execution: toExecutionRecord(row), created: true, tasks: [task] };
    });
  }

  getExecution(namespace: string, executionId: string): Promise<ExecutionRecord | null> {
    return this.read(() => {
      const row = this.writer.execution(namespace, executionId);
      return row ? toExecutionRecord(row) : null;
    });
  }

  listExecutions(namespace: string, filter: ExecutionFilter, page: PageRequest): Promise<Page<ExecutionRecord>> {
    return this.read(() => {
      const where = ['namespace = ?'];
      const args: (string | number)[] = [namespace];
      const columns: [string, string | undefined][] = [
        ['workflow_name', filter.workflowName],
        ['status', filter.status],
        ['deployment_name', filter.deploymentName],
      ];
      for (const [column, value] of columns) {
        if (value === undefined) continue;
        where.push(`${column} = ?`);
        args.push(value);
      }
      if (page.cursor !== undefined) {
        const after = decodeExecutionCursor(page.cursor);
        where.push('(start_time < ? OR (start_time = ? AND execution_id < ?))');
        args.push(after.startTime, after.startTime, after.executionId);
      }
      const rows = this.statements
        .get(`SELECT * FROM executions WHERE ${where.join(' AND ')} ORDER BY start_time DESC, execution_id DESC LIMIT ?`)
        .all(...args, page.pageSize + 1) as ExecutionRow[];
      return executionPage(rows.map(toExecutionRecord), page.pageSize);
    });
  }

  readHistory(namespace: string, executionId: string, afterEventId: number, limit: number): Promise<HistoryEvent[] | null> {
    return this.read(() => {
      const row = this.writer.execution(namespace, executionId);
      if (!row) return null;
      const rows = this.statements
        .get(
          `SELECT event_id, event_type, event_timestamp, attributes FROM history_events
           WHERE run_id = ? AND event_id > ? ORDER BY event_id LIMIT ?`,
        )
        .all(row.run_id, afterEventId, limit) as HistoryEventRow[];
      return rows.map(toHistoryEvent);
    });
  }

  claimTasks(claim: ClaimRequest): Promise<TaskWire[]> {
    return this.write(() => this.transitions.claim(claim));
  }

  completeWorkflowTask(completion: WorkflowTaskCompletion): Promise<TransitionOutcome> {
    return this.write(() => this.transitions.completeWorkflowTask(completion));
  }

  failWorkflowTask(failure: TaskFailure & { retryDelayMs: number }): Promise<TransitionOutcome> {
    return this.write(() => this.transitions.failWorkflowTask(failure));
  }

  completeActivityTask(completion: ActivityTaskCompletion): Promise<TransitionOutcome> {
    return this.write(() => this.transitions.completeActivityTask(completion));
  }

  failActivityTask(failure: TaskFailure): Promise<TransitionOutcome> {
    return this.write(() => this.transitions.failActivityTask(failure));
  }

  heartbeatActivityTask(heartbeat: ActivityTaskHeartbeat): Promise<HeartbeatOutcome> {
    return this.write(() => this.transitions.heartbeatActivityTask(heartbeat));
  }

  releaseTasks(release: TaskRelease): Promise<CreatedTask[]> {
    return this.write(() => this.timeouts.releaseTasks(release));
  }

  expireLeases(now: number): Promise<NamespaceTasks[]> {
    return this.write(() => this.timeouts.expireLeases(now));
  }

  expireTimeouts(now: number, limit: number): Promise<TimeoutSweep> {
    return this.write(() => this.timeouts.expireTimeouts(now, limit));
  }

  purgeClosedTasks(closedBefore: number, limit: number): Promise<number> {
    return this.write(() => this.timeouts.purgeClosedTasks(closedBefore, limit));
  }

  private workflowRegistrations(namespace: string, workflowName: string | null, now: number): WorkflowRegistration[] {
    const rows = this.statements
      .get(
        `SELECT workflow_name, deployment_name FROM workflow_registrations
         WHERE namespace = ? AND (? IS NULL OR workflow_name = ?) ORDER BY workflow_name, deployment_name`,
      )
      .all(namespace, workflowName, workflowName) as { workflow_name: string; deployment_name: string }[];
    if (rows.length === 0) return [];
    const active = new Set(
      this.statements
        .get(
          `SELECT DISTINCT j.value FROM worker_sessions s, json_each(s.workflows) j
           WHERE s.namespace = ? AND s.expires_at > ?`,
        )
        .pluck()
        .all(namespace, now) as string[],
    );
    return groupRegistrations(rows, active);
  }

  /** Runs `work` in an immediate (write-locking) transaction. */
  private write<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(this.open().transaction(work).immediate());
    } catch (error) {
      return Promise.reject(mapSqliteError(error));
    }
  }

  /** Runs `work` in a deferred (read) transaction, for one consistent snapshot. */
  private read<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(this.open().transaction(work).deferred());
    } catch (error) {
      return Promise.reject(mapSqliteError(error));
    }
  }

  private open(): Database.Database {
    if (!this.db) throw new Error('SqliteStore is not initialised or already closed');
    return this.db;
  }
}
