import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCode, type Failure, type HistoryEvent, type TaskTokenParts, type TaskWire } from '#workflows/protocol';
import { PlatformError } from '../../errors/platform.error.js';
import { decodeExecutionCursor } from '../page-cursor.js';
import { ExecutionChanges, executionPage, publishChanges } from '../store-results.js';
import type {
  AcceptUpdateParams,
  ActivityTaskCompletion,
  ActivityTaskHeartbeat,
  ClaimRequest,
  CreatedQuery,
  CreatedTask,
  CreateQueryParams,
  ExecutionActionParams,
  ExecutionFilter,
  ExecutionRecord,
  ExternalEventOutcome,
  HeartbeatOutcome,
  NamespaceTasks,
  Page,
  PageRequest,
  QueryAnswer,
  QueryTaskAnswer,
  SignalExecutionParams,
  StartExecutionOutcome,
  StartExecutionParams,
  Store,
  StoreListener,
  TaskFailure,
  TaskRelease,
  TimeoutSweep,
  TransitionOutcome,
  UpdateOutcome,
  WorkerSession,
  WorkerShutdownOutcome,
  WorkflowRegistration,
  WorkflowTaskCompletion,
} from '../store.interface.js';
import { SqliteExecutionTransitions } from './sqlite-execution.transitions.js';
import { SqliteQueryTransitions } from './sqlite-query.transitions.js';
import { SqliteRunWriter } from './sqlite-run.writer.js';
import { SqliteSessionTransitions } from './sqlite-session.transitions.js';
import { SqliteTaskTransitions } from './sqlite-task.transitions.js';
import { SqliteTimeoutTransitions } from './sqlite-timeout.transitions.js';
import { mapSqliteError } from './sqlite-error.mapper.js';
import { migrateSqlite } from './sqlite.migrations.js';
import {
  fromJson,
  toExecutionRecord,
  toHistoryEvent,
  toWorkerSession,
  type ExecutionRow,
  type HistoryEventRow,
  type WorkerSessionRow,
} from '../store.rows.js';
import { LIMIT_PARAM, SqliteStatements } from './sqlite.statements.js';
import { GroupCommit, type QueuedWrite } from './group-commit.js';
import { WalSync, type FlushFile, type FlushFileNow } from './wal-sync.js';

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** A file path (its parent directories are created) or `':memory:'`. */
  path: string;
  /** `FULL` survives power loss; `NORMAL` survives a process crash. @default 'FULL' */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a writer waits for another process's lock before `WF_UNAVAILABLE`. @default 5000 */
  busyTimeoutMs?: number;
  /** How `FULL` flushes the WAL after a group commit, off the event loop (a seam for tests). @default fs.fdatasync */
  flushFile?: FlushFile;
  /** How `FULL` flushes the WAL after a lone write when no flush is under way (a seam for tests). @default fs.fdatasyncSync */
  flushFileNow?: FlushFileNow;
}

/** What {@link SqliteStore.pendingWork} reads: whether work is under way, and when the clock alone brings more. */
export interface PendingWork {
  /** Workflow, activity and query tasks a worker holds (leased) or can take now (queued and visible). */
  running: number;
  /**
   * The earliest time a queued durable timer fires or a queued activity retry becomes visible;
   * `null` when there is none. Workflow task retries are left out: a failing workflow task waits
   * for fixed code, and moving time to its retries would only repeat the failure.
   */
  nextDueAt: number | null;
}

/**
 * The {@link Store} on SQLite (better-sqlite3, WAL). Every method runs one transaction
 * synchronously and returns its outcome as a promise; driver errors are mapped once here. Once
 * a transaction that changed executions commits, the subscribers hear of it (`changed`).
 */
export class SqliteStore implements Store {
  readonly description: string;
  private db: Database.Database | null = null;
  private statements!: SqliteStatements;
  private writer!: SqliteRunWriter;
  private transitions!: SqliteTaskTransitions;
  private timeouts!: SqliteTimeoutTransitions;
  private executions!: SqliteExecutionTransitions;
  private queries!: SqliteQueryTransitions;
  private sessions!: SqliteSessionTransitions;
  /** What the running write changed, published when its transaction commits. */
  private readonly changes = new ExecutionChanges();
  /** Writes that arrive together share one transaction and one fsync. */
  private readonly group = new GroupCommit((writes) => this.commitGroup(writes));
  private readonly listeners = new Set<StoreListener>();
  /** `synchronous=FULL` on a file: the WAL is flushed off the event loop after each group commit. */
  private walSync: WalSync | null = null;
  /**
   * Set by the first flush of the WAL that failed: from then on every write is refused. After a
   * write-back error the kernel may drop the failed pages and report later flushes as fine, so
   * nothing written since can be called durable (PostgreSQL stops for the same reason).
   */
  private walFailure: PlatformError | null = null;

  constructor(private readonly options: SqliteStoreOptions) {
    const synchronous = options.synchronous ?? 'FULL';
    this.description =
      options.path === ':memory:'
        ? 'SQLite in memory (not durable)'
        : `SQLite ${resolve(options.path)} (WAL, synchronous=${synchronous}${synchronous === 'FULL' ? ', fsync off the event loop' : ''})`;
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
      if (path !== ':memory:' && this.options.synchronous !== 'NORMAL') {
        // FULL from here on is kept by WalSync: each group commit is answered once the WAL is flushed.
        this.walSync = new WalSync(`${resolve(path)}-wal`, this.options.flushFile, this.options.flushFileNow);
        db.pragma('synchronous = NORMAL');
      }
      this.statements = new SqliteStatements(db);
      this.writer = new SqliteRunWriter(this.statements, this.changes);
      this.transitions = new SqliteTaskTransitions(this.statements, this.writer);
      this.timeouts = new SqliteTimeoutTransitions(this.statements, this.writer);
      this.executions = new SqliteExecutionTransitions(this.statements, this.writer);
      this.queries = new SqliteQueryTransitions(this.statements, this.writer, this.changes);
      this.sessions = new SqliteSessionTransitions(this.statements);
    } catch (error) {
      this.db?.close();
      this.db = null;
      throw mapSqliteError(error);
    }
  }

  async close(): Promise<void> {
    // Writes already queued are committed (or refused) first: each was promised an answer.
    this.group.flush();
    await this.walSync?.idle();
    this.walSync?.close();
    this.walSync = null;
    this.db?.close();
    this.db = null;
  }

  /**
   * One process owns a SQLite file: no other process's transitions to report (`transition` is
   * never called), but this process's changes are (`changed`).
   */
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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
    return this.write(() => this.sessions.open(session));
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

  shutdownWorkerSession(namespace: string, workerId: string, now: number, startedTokens?: readonly TaskTokenParts[]): Promise<WorkerShutdownOutcome | null> {
    return this.write(() => this.timeouts.shutdownWorkerSession(namespace, workerId, now, startedTokens));
  }

  refreshWorkerSessions(now: number, expiresAt: number): Promise<number> {
    return this.write(() => this.timeouts.refreshWorkerSessions(now, expiresAt));
  }

  listWorkflows(namespace: string, now: number): Promise<WorkflowRegistration[]> {
    return this.read(() => this.sessions.registrations(namespace, null, now, null));
  }

  getWorkflow(namespace: string, workflowName: string, now: number, deploymentName: string | null = null): Promise<WorkflowRegistration | null> {
    return this.read(() => this.sessions.registrations(namespace, workflowName, now, deploymentName)[0] ?? null);
  }

  startExecution(params: StartExecutionParams): Promise<StartExecutionOutcome> {
    return this.write(() => this.transitions.leaseCreated(this.executions.start(params), params.next));
  }

  getExecution(namespace: string, executionId: string): Promise<ExecutionRecord | null> {
    return this.read(() => {
      const row = this.writer.execution(namespace, executionId);
      if (!row) return null;
      const lastFailure = this.statements
        .get(`SELECT last_failure FROM tasks WHERE run_id = ? AND kind = 'workflow' AND state <> 'closed'`)
        .pluck()
        .get(row.run_id) as string | null | undefined;
      return { ...toExecutionRecord(row), pendingTaskFailure: fromJson<Failure>(lastFailure ?? null) };
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
        .get(`SELECT * FROM executions WHERE ${where.join(' AND ')} ORDER BY start_time DESC, execution_id DESC ${LIMIT_PARAM}`)
        .all(...args, page.pageSize + 1) as ExecutionRow[];
      return executionPage(rows.map(toExecutionRecord), page.pageSize);
    });
  }

  readHistory(namespace: string, executionId: string, afterEventId: number, limit: number, runId?: string): Promise<HistoryEvent[] | null> {
    return this.read(() => {
      const row = this.writer.execution(namespace, executionId);
      if (!row) return null;
      // An earlier run of the execution (continued as new) is known by its first event's row.
      const ofExecution =
        runId === undefined ||
        runId === row.run_id ||
        this.statements
          .get('SELECT 1 FROM history_events WHERE run_id = ? AND event_id = 1 AND namespace = ? AND execution_id = ?')
          .get(runId, namespace, executionId) !== undefined;
      if (!ofExecution) return null;
      const rows = this.statements
        .get(
          `SELECT event_id, event_type, event_timestamp, attributes FROM history_events
           WHERE run_id = ? AND event_id > ? ORDER BY event_id ${LIMIT_PARAM}`,
        )
        .all(runId ?? row.run_id, afterEventId, limit) as HistoryEventRow[];
      return rows.map(toHistoryEvent);
    });
  }

  claimTasks(claim: ClaimRequest): Promise<TaskWire[]> {
    return this.write(() => this.transitions.claim(claim));
  }

  completeWorkflowTask(completion: WorkflowTaskCompletion): Promise<TransitionOutcome> {
    return this.write(() => this.transitions.leaseCreated(this.transitions.completeWorkflowTask(completion), completion.next));
  }

  failWorkflowTask(failure: TaskFailure & { retryDelayMs: number }): Promise<TransitionOutcome> {
    return this.write(() => this.transitions.leaseCreated(this.transitions.failWorkflowTask(failure), failure.next));
  }

  completeActivityTask(completion: ActivityTaskCompletion): Promise<TransitionOutcome> {
    return this.write(() => this.transitions.leaseCreated(this.transitions.completeActivityTask(completion), completion.next));
  }

  failActivityTask(failure: TaskFailure): Promise<TransitionOutcome> {
    return this.write(() => this.transitions.leaseCreated(this.transitions.failActivityTask(failure), failure.next));
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

  signalExecution(params: SignalExecutionParams): Promise<ExternalEventOutcome> {
    return this.write(() => this.executions.signal(params));
  }

  requestCancelExecution(params: ExecutionActionParams): Promise<ExternalEventOutcome> {
    return this.write(() => this.executions.requestCancel(params));
  }

  terminateExecution(params: ExecutionActionParams): Promise<ExternalEventOutcome> {
    return this.write(() => this.executions.terminate(params));
  }

  acceptUpdate(params: AcceptUpdateParams): Promise<ExternalEventOutcome> {
    return this.write(() => this.executions.acceptUpdate(params));
  }

  getUpdateOutcome(namespace: string, executionId: string, updateId: string): Promise<UpdateOutcome | null> {
    return this.read(() => this.executions.updateOutcome(namespace, executionId, updateId));
  }

  createQueryTask(params: CreateQueryParams): Promise<CreatedQuery> {
    return this.write(() => this.queries.create(params));
  }

  answerQueryTask(answer: QueryTaskAnswer): Promise<TransitionOutcome> {
    return this.write(() => this.queries.answer(answer));
  }

  getQueryAnswer(namespace: string, taskId: number): Promise<QueryAnswer> {
    return this.read(() => this.queries.get(namespace, taskId));
  }

  abandonQueryTask(namespace: string, taskId: number, now: number): Promise<void> {
    return this.write(() => this.queries.abandon(namespace, taskId, now));
  }

  /**
   * Addition for the test kit's time skipping (`#workflows/testing`), on SQLite only: the test
   * environment always runs the platform on SQLite in memory. Not part of {@link Store}.
   */
  pendingWork(now: number): Promise<PendingWork> {
    return this.read(() => {
      const row = this.statements
        .get(
          `SELECT
             (SELECT COUNT(*) FROM tasks WHERE kind IN ('workflow', 'activity', 'query')
                AND (state = 'leased' OR (state = 'queued' AND visible_at <= ?))) AS running,
             (SELECT MIN(CASE kind WHEN 'timer' THEN deadline_at ELSE visible_at END) FROM tasks
                WHERE state = 'queued' AND (kind = 'timer' OR (kind = 'activity' AND visible_at > ?))) AS next_due_at`,
        )
        .get(now, now) as { running: number; next_due_at: number | null };
      return { running: row.running, nextDueAt: row.next_due_at };
    });
  }

  /**
   * Queues `work` for the next group commit (see {@link GroupCommit}); resolves once the
   * transaction that ran it has committed, after what it changed was published.
   */
  private write<T>(work: () => T): Promise<T> {
    return this.group.run(work);
  }

  /**
   * Runs queued writes in one immediate (write-locking) transaction: one commit, one fsync. Each
   * runs in a savepoint of its own, so that one that throws is rolled back alone.
   */
  private commitGroup(writes: readonly QueuedWrite[]): void {
    const db = this.db;
    if (!db) {
      for (const write of writes) write.reject(mapSqliteError(new Error('SqliteStore is not initialised or already closed')));
      return;
    }
    if (this.walFailure) {
      for (const write of writes) write.reject(this.walFailure);
      return;
    }
    const outcomes: { value?: unknown; error?: unknown; changes?: ReturnType<ExecutionChanges['take']> }[] = [];
    try {
      db.transaction(() => {
        for (const write of writes) {
          try {
            const value = db.transaction(write.work)();
            outcomes.push({ value, changes: this.changes.take() });
          } catch (error) {
            // Rolled back to its savepoint: nothing it noted happened.
            this.changes.take();
            outcomes.push({ error });
          }
        }
      }).immediate();
    } catch (error) {
      // The commit failed: none of them happened.
      this.changes.take();
      for (const write of writes) write.reject(mapSqliteError(error));
      return;
    }
    const answer = (): void =>
      writes.forEach((write, index) => {
        const outcome = outcomes[index]!;
        if ('error' in outcome) write.reject(mapSqliteError(outcome.error));
        else {
          publishChanges(this.listeners, outcome.changes!);
          write.resolve(outcome.value);
        }
      });
    if (!this.walSync) return answer();
    // Answered, and published, once the commit is on disk.
    this.walSync.after((error) => {
      if (!error) return answer();
      // Committed, perhaps not on disk: not answered as done nor published, and no write is taken from now on.
      this.walFailure ??= new PlatformError(
        ErrorCode.Unavailable,
        'the store could not flush its write-ahead log to disk and takes no more writes; restart the platform once the disk is healthy',
        { cause: error },
      );
      for (const write of writes) write.reject(this.walFailure);
    }, writes.length === 1);
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
