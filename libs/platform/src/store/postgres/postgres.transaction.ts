import type { PoolClient, QueryResultRow } from 'pg';
import type { CreatedTask, TransitionOutcome } from '../store.interface.js';

/** What a committed transition tells the other platform nodes. */
export interface TransitionNotice {
  namespace: string;
  tasks: readonly CreatedTask[];
  closed?: TransitionOutcome['closed'];
}

/**
 * One open transaction of {@link PostgresStore}: runs statements on its client (each SQL text
 * a named prepared statement, prepared once per connection) and collects the notices to
 * publish when it commits.
 */
export class PgTx {
  /** Notices to send with `pg_notify` just before `COMMIT`, so that they fire only if it commits. */
  readonly notices: TransitionNotice[] = [];

  constructor(
    private readonly client: PoolClient,
    private readonly statementNames: Map<string, string>,
  ) {}

  /** The rows of one statement. */
  async rows<T extends QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    return (await this.client.query<T>({ name: this.nameOf(text), text, values })).rows;
  }

  /** The first row of one statement, or `undefined`. */
  async one<T extends QueryResultRow>(text: string, values: unknown[] = []): Promise<T | undefined> {
    return (await this.rows<T>(text, values))[0];
  }

  /** Runs one statement; returns how many rows it changed. */
  async run(text: string, values: unknown[] = []): Promise<number> {
    return (await this.client.query({ name: this.nameOf(text), text, values })).rowCount ?? 0;
  }

  /** Queues a notice for the other nodes (nothing is sent when there is nothing to wake). */
  notify(namespace: string, outcome: { tasks: readonly CreatedTask[]; closed?: TransitionOutcome['closed'] }): void {
    if (outcome.tasks.length === 0 && !outcome.closed) return;
    this.notices.push({ namespace, tasks: outcome.tasks, ...(outcome.closed ? { closed: outcome.closed } : {}) });
  }

  private nameOf(text: string): string {
    let name = this.statementNames.get(text);
    if (!name) {
      name = `wf_${this.statementNames.size + 1}`;
      this.statementNames.set(text, name);
    }
    return name;
  }
}
