import type Database from 'better-sqlite3';

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
