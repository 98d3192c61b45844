import type { PoolClient, QueryResultRow } from 'pg';
import { ExecutionChanges } from '../store-results.js';
import type { CreatedTask, TransitionOutcome } from '../store.interface.js';

/** What a committed transition tells the other platform nodes. */
export interface TransitionNotice {
  namespace: string;
  tasks: readonly CreatedTask[];
  closed?: TransitionOutcome['closed'];
  /** Executions it appended events to or answered a query of (the change feed). */
  changed?: readonly string[];
}

/**
 * One open transaction of {@link PostgresStore}: runs statements on its client (each SQL text
 * a named prepared statement, prepared once per connection) and collects the notices to
 * publish when it commits.
 */
export class PgTx {
  /** Notices to send with `pg_notify` just before `COMMIT`, so that they fire only if it commits. */
  readonly notices: TransitionNotice[] = [];
  /** The executions it changed: sent with the notices, and told to this node's listeners once it commits. */
  readonly changes = new ExecutionChanges();

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
  notify(namespace: string, outcome: Pick<TransitionOutcome, 'tasks' | 'closed' | 'alsoClosed'>): void {
    if (outcome.tasks.length > 0 || outcome.closed) {
      this.notices.push({ namespace, tasks: outcome.tasks, ...(outcome.closed ? { closed: outcome.closed } : {}) });
    }
    // Each other execution the transition closed (a parent's close terminating its children) gets its own notice.
    for (const closed of outcome.alsoClosed ?? []) this.notices.push({ namespace, tasks: [], closed });
  }

  /** The notices to send: the transitions', and the changed executions (with the first notice of their namespace). */
  outgoingNotices(): TransitionNotice[] {
    const notices = [...this.notices];
    for (const [namespace, changed] of this.changes.list()) {
      const index = notices.findIndex((notice) => notice.namespace === namespace);
      if (index >= 0) notices[index] = { ...notices[index]!, changed };
      else notices.push({ namespace, tasks: [], changed });
    }
    return notices;
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
