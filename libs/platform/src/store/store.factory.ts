import type { ResolvedPlatformOptions } from '../options/platform.options.js';
import type { NotifierLog } from './postgres/postgres.notifier.js';
import { PostgresStore } from './postgres/postgres.store.js';
import { SqliteStore } from './sqlite/sqlite.store.js';
import type { Store } from './store.interface.js';

/** What selects and configures the engine. */
export type StoreSelection = Pick<ResolvedPlatformOptions, 'databaseUrl' | 'databaseSchema' | 'databasePath' | 'sqliteSynchronous'>;

/**
 * The store the options select, not yet initialised: PostgreSQL when a database URL is set
 * (`databaseUrl`, `WORKFLOWS_DATABASE_URL`), SQLite at `databasePath` otherwise.
 */
export function createStore(options: StoreSelection, logger: NotifierLog | null = null): Store {
  if (options.databaseUrl) return new PostgresStore({ url: options.databaseUrl, schema: options.databaseSchema, logger });
  return new SqliteStore({ path: options.databasePath, synchronous: options.sqliteSynchronous });
}

/** The store the options select, opened and migrated; closed again if that fails. */
export async function openStore(options: StoreSelection, logger: NotifierLog | null = null): Promise<Store> {
  const store = createStore(options, logger);
  try {
    await store.init();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}
