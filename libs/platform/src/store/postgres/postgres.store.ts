import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ErrorCode, type Failure, type HistoryEvent, type TaskTokenParts, type TaskWire } from '#workflows/protocol';
import { PlatformError } from '../../errors/platform.error.js';
import { decodeExecutionCursor } from '../page-cursor.js';
import { executionPage } from '../store-results.js';
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
import {
  fromJson,
  toExecutionRecord,
  toHistoryEvent,
  toWorkerSession,
  type ExecutionRow,
  type HistoryEventRow,
  type WorkerSessionRow,
} from '../store.rows.js';
import { SCHEMA_PATTERN, parsePostgresUrl, postgresClientConfig } from './postgres-connection.js';
import { mapPostgresError } from './postgres-error.mapper.js';
import { encodeNotice } from './postgres-notice.codec.js';
import { migratePostgres } from './postgres.migrations.js';
import { PostgresNotifier, type NotifierLog } from './postgres.notifier.js';
import { PostgresExecutionTransitions } from './postgres-execution.transitions.js';
import { PostgresSessionTransitions } from './postgres-session.transitions.js';
import { PostgresQueryTransitions } from './postgres-query.transitions.js';
import { PostgresTransactionRunner } from './postgres-transaction.runner.js';
import { PostgresRunWriter } from './postgres-run.writer.js';
import { PostgresTaskTransitions } from './postgres-task.transitions.js';
import { PostgresTimeoutTransitions } from './postgres-timeout.transitions.js';
import type { PgTx } from './postgres.transaction.js';

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`. */
  url: string;
  /** The schema the tables live in (created if missing); a lowercase identifier. @default 'workflows' */
  schema?: string;
  /** Connections in the pool. @default 10 */
  poolSize?: number;
  /** How long opening a connection may take before the request answers 503. @default 5000 */
  connectTimeoutMs?: number;
  /** Where connection losses are reported. @default none */
  logger?: NotifierLog | null;
}

/**
 * The {@link Store} on PostgreSQL (`pg`), for several platform processes on one database.
 * Every method is one transaction on a pooled connection. Tasks, due deadlines (timers too) and
 * expired leases are claimed with `FOR UPDATE SKIP LOCKED`, so that no node is special;
 * transitions lock the execution row before appending. Each committed transition that queued
 * tasks, closed an execution or changed one sends a NOTIFY (in the transaction, so only on
 * commit) that the other nodes' {@link PostgresNotifier} turns into local wake-ups; this node's
 * own changes reach its listeners right after the commit. Driver errors are mapped once.
 */
export class PostgresStore implements Store {
  private readonly schema: string;
  private readonly location: string;
  private readonly channel: string;
  /** This node's id in its notices, so that it ignores its own. */
  private readonly origin = randomBytes(6).toString('base64url');
  private synchronousCommit = 'unknown';
  private pool: pg.Pool | null = null;
  private notifier: PostgresNotifier | null = null;
  private transactions: PostgresTransactionRunner | null = null;

  constructor(private readonly options: PostgresStoreOptions) {
    this.schema = options.schema ?? 'workflows';
    if (!SCHEMA_PATTERN.test(this.schema)) {
      throw new PlatformError(ErrorCode.Internal, `PostgreSQL schema '${this.schema}' must be a lowercase identifier of at most 48 characters`);
    }
    this.location = parsePostgresUrl(options.url).display;
    this.channel = `${this.schema}_wakeups`;
  }

  /** Engine, database (never its password), schema and durability, e.g. for the startup log. */
  get description(): string {
    return `PostgreSQL ${this.location} schema ${this.schema} (synchronous_commit=${this.synchronousCommit})`;
  }

  async init(): Promise<void> {
    const config = postgresClientConfig(this.options.url, this.schema, this.options.connectTimeoutMs ?? 5000);
    const poolSize = this.options.poolSize ?? 10;
    const pool = new pg.Pool({ ...config, max: poolSize });
    // An idle connection dropped by the server is reported here; the pool replaces it on demand.
    pool.on('error', () => undefined);
    // A connection dropped while checked out emits 'error' on its client, which would otherwise
    // crash the process: the query in flight rejects anyway and the transaction runner maps it.
    pool.on('connect', (client) => client.on('error', () => undefined));
    this.pool = pool;
    try {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw new PlatformError(ErrorCode.Unavailable, `Cannot connect to PostgreSQL at ${this.location}: ${describe(error)}`, { cause: error });
      }
      try {
        await migratePostgres(client, this.schema, `PostgreSQL ${this.location} schema ${this.schema}`);
        const { rows } = await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
        this.synchronousCommit = rows[0]?.synchronous_commit ?? 'unknown';
      } finally {
        client.release();
      }
      this.notifier = new PostgresNotifier(config, this.channel, this.origin, this.options.logger ?? null);
      await this.notifier.start();
      this.transactions = new PostgresTransactionRunner(
        pool,
        (tx) => this.sendNotices(tx),
        (tx) => this.notifier?.publishLocal(tx.changes.list()),
        poolSize,
      );
    } catch (error) {
      await this.close();
      throw mapPostgresError(error);
    }
  }

  async close(): Promise<void> {
    const { pool, notifier } = this;
    this.pool = null;
    this.notifier = null;
    this.transactions = null;
    await notifier?.close();
    await pool?.end().catch(() => undefined);
  }

  subscribe(listener: StoreListener): () => void {
    if (!this.notifier) throw new Error('PostgresStore is not initialised or already closed');
    return this.notifier.subscribe(listener);
  }

  putApiKey(keyDigest: string, namespace: string, now: number): Promise<void> {
    return this.write(async (tx) => {
      await tx.run(
        `INSERT INTO api_keys (digest, namespace, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (digest) DO UPDATE SET namespace = excluded.namespace`,
        [keyDigest, namespace, now],
      );
    });
  }

  namespaceForKey(keyDigest: string): Promise<string | null> {
    return this.read(async (tx) => (await tx.one<{ namespace: string }>('SELECT namespace FROM api_keys WHERE digest = $1', [keyDigest]))?.namespace ?? null);
  }

  openWorkerSession(session: WorkerSession): Promise<void> {
    return this.write((tx) => new PostgresSessionTransitions(tx).open(session));
  }

  touchWorkerSession(namespace: string, workerId: string, now: number, expiresAt: number): Promise<boolean> {
    return this.write(async (tx) => {
      const changed = await tx.run('UPDATE worker_sessions SET expires_at = $1 WHERE worker_id = $2 AND namespace = $3 AND expires_at > $4', [
        expiresAt,
        workerId,
        namespace,
        now,
      ]);
      return changed > 0;
    });
  }

  getWorkerSession(namespace: string, workerId: string): Promise<WorkerSession | null> {
    return this.read(async (tx) => {
      const row = await tx.one<WorkerSessionRow>('SELECT * FROM worker_sessions WHERE worker_id = $1 AND namespace = $2', [workerId, namespace]);
      return row ? toWorkerSession(row) : null;
    });
  }

  shutdownWorkerSession(namespace: string, workerId: string, now: number, startedTokens?: readonly TaskTokenParts[]): Promise<WorkerShutdownOutcome | null> {
    return this.write(async (tx) => {
      const outcome = await this.timeouts(tx).shutdownWorkerSession(namespace, workerId, now, startedTokens);
      if (outcome) tx.notify(namespace, outcome);
      return outcome;
    });
  }

  refreshWorkerSessions(now: number, expiresAt: number): Promise<number> {
    return this.write((tx) => this.timeouts(tx).refreshWorkerSessions(now, expiresAt));
  }

  listWorkflows(namespace: string, now: number): Promise<WorkflowRegistration[]> {
    return this.read((tx) => new PostgresSessionTransitions(tx).registrations(namespace, null, now, null));
  }

  async getWorkflow(namespace: string, workflowName: string, now: number, deploymentName: string | null = null): Promise<WorkflowRegistration | null> {
    return (await this.read((tx) => new PostgresSessionTransitions(tx).registrations(namespace, workflowName, now, deploymentName)))[0] ?? null;
  }

  startExecution(params: StartExecutionParams): Promise<StartExecutionOutcome> {
    return this.transition(params.namespace, async (tx) => this.tasks(tx).leaseCreated(await this.executions(tx).start(params), params.next));
  }

  getExecution(namespace: string, executionId: string): Promise<ExecutionRecord | null> {
    return this.read(async (tx) => {
      const row = await new PostgresRunWriter(tx).execution(namespace, executionId);
      if (!row) return null;
      const task = await tx.one<{ last_failure: string | null }>(
        `SELECT last_failure FROM tasks WHERE run_id = $1 AND kind = 'workflow' AND state <> 'closed'`,
        [row.run_id],
      );
      return { ...toExecutionRecord(row), pendingTaskFailure: fromJson<Failure>(task?.last_failure ?? null) };
    });
  }

  async listExecutions(namespace: string, filter: ExecutionFilter, page: PageRequest): Promise<Page<ExecutionRecord>> {
    const where = ['namespace = $1'];
    const args: (string | number)[] = [namespace];
    const columns: [string, string | undefined][] = [
      ['workflow_name', filter.workflowName],
      ['status', filter.status],
      ['deployment_name', filter.deploymentName],
    ];
    for (const [column, value] of columns) {
      if (value === undefined) continue;
      args.push(value);
      where.push(`${column} = $${args.length}`);
    }
    if (page.cursor !== undefined) {
      const after = decodeExecutionCursor(page.cursor);
      args.push(after.startTime, after.executionId);
      where.push(`(start_time < $${args.length - 1} OR (start_time = $${args.length - 1} AND execution_id < $${args.length}))`);
    }
    args.push(page.pageSize + 1);
    const sql = `SELECT * FROM executions WHERE ${where.join(' AND ')} ORDER BY start_time DESC, execution_id DESC LIMIT $${args.length}`;
    return this.read(async (tx) => executionPage((await tx.rows<ExecutionRow>(sql, args)).map(toExecutionRecord), page.pageSize));
  }

  readHistory(namespace: string, executionId: string, afterEventId: number, limit: number, runId?: string): Promise<HistoryEvent[] | null> {
    return this.read(async (tx) => {
      const row = await new PostgresRunWriter(tx).execution(namespace, executionId);
      if (!row) return null;
      // An earlier run of the execution (continued as new) is known by its first event's row.
      const ofExecution =
        runId === undefined ||
        runId === row.run_id ||
        (await tx.one('SELECT 1 FROM history_events WHERE run_id = $1 AND event_id = 1 AND namespace = $2 AND execution_id = $3', [
          runId,
          namespace,
          executionId,
        ])) !== undefined;
      if (!ofExecution) return null;
      const rows = await tx.rows<HistoryEventRow>(
        `SELECT event_id, event_type, event_timestamp, attributes FROM history_events
         WHERE run_id = $1 AND event_id > $2 ORDER BY event_id LIMIT $3`,
        [runId ?? row.run_id, afterEventId, limit],
      );
      return rows.map(toHistoryEvent);
    });
  }

  claimTasks(claim: ClaimRequest): Promise<TaskWire[]> {
    return this.write((tx) => this.tasks(tx).claim(claim));
  }

  completeWorkflowTask(completion: WorkflowTaskCompletion): Promise<TransitionOutcome> {
    return this.transition(completion.namespace, async (tx) => {
      const tasks = this.tasks(tx);
      return tasks.leaseCreated(await tasks.completeWorkflowTask(completion), completion.next);
    });
  }

  failWorkflowTask(failure: TaskFailure & { retryDelayMs: number }): Promise<TransitionOutcome> {
    return this.transition(failure.namespace, async (tx) => {
      const tasks = this.tasks(tx);
      return tasks.leaseCreated(await tasks.failWorkflowTask(failure), failure.next);
    });
  }

  completeActivityTask(completion: ActivityTaskCompletion): Promise<TransitionOutcome> {
    return this.transition(completion.namespace, async (tx) => {
      const tasks = this.tasks(tx);
      return tasks.leaseCreated(await tasks.completeActivityTask(completion), completion.next);
    });
  }

  failActivityTask(failure: TaskFailure): Promise<TransitionOutcome> {
    return this.transition(failure.namespace, async (tx) => {
      const tasks = this.tasks(tx);
      return tasks.leaseCreated(await tasks.failActivityTask(failure), failure.next);
    });
  }

  heartbeatActivityTask(heartbeat: ActivityTaskHeartbeat): Promise<HeartbeatOutcome> {
    return this.write((tx) => this.tasks(tx).heartbeatActivityTask(heartbeat));
  }

  releaseTasks(release: TaskRelease): Promise<CreatedTask[]> {
    return this.write(async (tx) => {
      const tasks = await this.timeouts(tx).releaseTasks(release);
      tx.notify(release.namespace, { tasks });
      return tasks;
    });
  }

  expireLeases(now: number): Promise<NamespaceTasks[]> {
    return this.write(async (tx) => {
      const released = await this.timeouts(tx).expireLeases(now);
      for (const { namespace, tasks } of released) tx.notify(namespace, { tasks });
      return released;
    });
  }

  expireTimeouts(now: number, limit: number): Promise<TimeoutSweep> {
    return this.write(async (tx) => {
      const sweep = await this.timeouts(tx).expireTimeouts(now, limit);
      for (const { namespace, tasks } of sweep.released) tx.notify(namespace, { tasks });
      return sweep;
    });
  }

  purgeClosedTasks(closedBefore: number, limit: number): Promise<number> {
    return this.write((tx) => this.timeouts(tx).purgeClosedTasks(closedBefore, limit));
  }

  signalExecution(params: SignalExecutionParams): Promise<ExternalEventOutcome> {
    return this.transition(params.namespace, (tx) => this.executions(tx).signal(params));
  }

  requestCancelExecution(params: ExecutionActionParams): Promise<ExternalEventOutcome> {
    return this.transition(params.namespace, (tx) => this.executions(tx).requestCancel(params));
  }

  terminateExecution(params: ExecutionActionParams): Promise<ExternalEventOutcome> {
    return this.transition(params.namespace, (tx) => this.executions(tx).terminate(params));
  }

  acceptUpdate(params: AcceptUpdateParams): Promise<ExternalEventOutcome> {
    return this.transition(params.namespace, (tx) => this.executions(tx).acceptUpdate(params));
  }

  getUpdateOutcome(namespace: string, executionId: string, updateId: string): Promise<UpdateOutcome | null> {
    return this.read((tx) => this.executions(tx).updateOutcome(namespace, executionId, updateId));
  }

  createQueryTask(params: CreateQueryParams): Promise<CreatedQuery> {
    return this.write(async (tx) => {
      const created = await this.queries(tx).create(params);
      tx.notify(params.namespace, { tasks: [created.task] });
      return created;
    });
  }

  answerQueryTask(answer: QueryTaskAnswer): Promise<TransitionOutcome> {
    return this.write((tx) => this.queries(tx).answer(answer));
  }

  getQueryAnswer(namespace: string, taskId: number): Promise<QueryAnswer> {
    return this.read((tx) => this.queries(tx).get(namespace, taskId));
  }

  abandonQueryTask(namespace: string, taskId: number, now: number): Promise<void> {
    return this.write((tx) => this.queries(tx).abandon(namespace, taskId, now));
  }

  /** A transition whose outcome the other nodes hear of when it commits. */
  private transition<T extends Pick<TransitionOutcome, 'tasks' | 'closed' | 'alsoClosed'>>(namespace: string, work: (tx: PgTx) => Promise<T>): Promise<T> {
    return this.write(async (tx) => {
      const outcome = await work(tx);
      tx.notify(namespace, outcome);
      return outcome;
    });
  }

  private tasks(tx: PgTx): PostgresTaskTransitions {
    return new PostgresTaskTransitions(tx, new PostgresRunWriter(tx));
  }

  private timeouts(tx: PgTx): PostgresTimeoutTransitions {
    return new PostgresTimeoutTransitions(tx, new PostgresRunWriter(tx));
  }

  private executions(tx: PgTx): PostgresExecutionTransitions {
    return new PostgresExecutionTransitions(tx, new PostgresRunWriter(tx));
  }

  private queries(tx: PgTx): PostgresQueryTransitions {
    return new PostgresQueryTransitions(tx, new PostgresRunWriter(tx));
  }

  /** Sends the transaction's notices, inside it: NOTIFY is delivered only if it commits. */
  private async sendNotices(tx: PgTx): Promise<void> {
    const payloads = tx.outgoingNotices().flatMap((notice) => encodeNotice(this.origin, notice));
    if (payloads.length > 0) await tx.run('SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload', [this.channel, payloads]);
  }

  private write<T>(work: (tx: PgTx) => Promise<T>): Promise<T> {
    return this.open().run('write', work);
  }

  private read<T>(work: (tx: PgTx) => Promise<T>): Promise<T> {
    return this.open().run('read', work);
  }

  private open(): PostgresTransactionRunner {
    if (!this.transactions) throw new PlatformError(ErrorCode.Unavailable, 'The PostgreSQL store is not open');
    return this.transactions;
  }
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  return error instanceof Error ? error.message || String((error as { code?: unknown }).code ?? error.name) : String(error);
}
