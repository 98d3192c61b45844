import type Database from 'better-sqlite3';
import type { TaskRow } from '../store.rows.js';

/**
 * A LIMIT bound per execution. SQLite prepares a statement whose LIMIT is a bare parameter again
 * at every execution (its planner may use the value), about 20 µs each time; as an expression the
 * plan is kept. The same holds for a parameter compared with a column a partial index filters on
 * (`kind`, `state`): such values are written into the SQL (they come from fixed sets).
 */
export const LIMIT_PARAM = 'LIMIT (? + 0)';

const TASK_KINDS: ReadonlySet<string> = new Set<TaskRow['kind']>(['workflow', 'activity', 'query', 'timer']);

/** A task kind as an SQL literal (see {@link LIMIT_PARAM}); throws on anything else, so that nothing unchecked reaches the SQL. */
export function kindLiteral(kind: TaskRow['kind']): string {
  if (!TASK_KINDS.has(kind)) throw new Error(`Unknown task kind ${JSON.stringify(kind)}`);
  return `'${kind}'`;
}

/** Prepared statements, each prepared once per SQL text and reused. */
export class SqliteStatements {
  private readonly cache = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  /** The prepared statement of `sql`. */
  get(sql: string): Database.Statement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.cache.set(sql, statement);
    }
    return statement;
  }
}
