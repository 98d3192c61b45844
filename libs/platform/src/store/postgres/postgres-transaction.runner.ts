import type pg from 'pg';
import { isConnectionError, isRetryableConflict, mapPostgresError } from './postgres-error.mapper.js';
import { PgTx } from './postgres.transaction.js';

/** Runs of one transaction at most: a deadlock or serialization failure runs it again, up to this. */
const MAX_RUNS = 4;

/** A read sees one snapshot; a write runs at READ COMMITTED and locks the rows it changes. */
export type TransactionMode = 'read' | 'write';

/**
 * Runs each store method as one transaction on a pooled connection: `BEGIN`, the work, the
 * notices (before `COMMIT`, so that they fire only if it commits), `COMMIT`, then what follows a
 * commit in this process (the change feed); `ROLLBACK` on error. A deadlock or serialization failure runs the whole transaction again, a few times; a
 * connection that died before `COMMIT` was sent is dropped and the transaction runs on another
 * (nothing was committed), as many times as the pool may hold connections the server dropped.
 * What still fails is mapped once: an unreachable database is `WF_UNAVAILABLE`.
 */
export class PostgresTransactionRunner {
  /** Prepared statement names by SQL text, shared by the pool's connections. */
  private readonly statementNames = new Map<string, string>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly beforeCommit: (tx: PgTx) => Promise<void>,
    /** Called once the transaction committed; must not throw. */
    private readonly afterCommit: (tx: PgTx) => void,
    /** How many dead connections one transaction may meet: the pool's size. */
    private readonly maxReconnects: number,
  ) {}

  /** Runs `work` in one transaction and returns what it returned. */
  async run<T>(mode: TransactionMode, work: (tx: PgTx) => Promise<T>): Promise<T> {
    let reconnects = 0;
    for (let run = 1; ; run++) {
      let committing = false;
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        throw mapPostgresError(error);
      }
      let broken: Error | undefined;
      try {
        await client.query(mode === 'read' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
        const tx = new PgTx(client, this.statementNames);
        const result = await work(tx);
        await this.beforeCommit(tx);
        committing = true;
        await client.query('COMMIT');
        this.afterCommit(tx);
        return result;
      } catch (error) {
        if (!committing || !isConnectionError(error)) {
          await client.query('ROLLBACK').catch((rollbackError: unknown) => {
            broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
          });
        } else {
          broken = error instanceof Error ? error : new Error(String(error));
        }
        if (isRetryableConflict(error) && run < MAX_RUNS) continue;
        // A pooled connection the server dropped (restart, failover) fails its first query: run again on another.
        if (!committing && reconnects < this.maxReconnects && isConnectionError(error)) {
          reconnects++;
          broken ??= error instanceof Error ? error : new Error(String(error));
          continue;
        }
        throw mapPostgresError(error);
      } finally {
        client.release(broken);
      }
    }
  }
}
