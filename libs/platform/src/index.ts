export { startPlatform, type RunningPlatform } from './start-platform.js';
export { InProcessWorkerProtocol } from './api/in-process-worker-protocol.js';
export { PlatformModule } from './platform.module.js';
export {
  applyPlatformDefaults,
  PlatformOptionsError,
  DEFAULT_DATABASE_PATH,
  DEFAULT_DATABASE_SCHEMA,
  DEFAULT_PLATFORM_PORT,
  type PlatformApiKey,
  type PlatformOptions,
  type ResolvedPlatformOptions,
} from './options/platform.options.js';
export { resolvePlatformOptions, PlatformEnvError, type PlatformEnv } from './options/platform-env.options.js';
export { PlatformError } from './errors/platform.error.js';
export { SqliteStore, type PendingWork, type SqliteStoreOptions } from './store/sqlite/sqlite.store.js';
export { STORE } from './platform.constants.js';
export { TimeoutsSweeper } from './workers/timeouts.sweeper.js';
export { TaskMatcher } from './matching/task.matcher.js';
export { PostgresStore, type PostgresStoreOptions } from './store/postgres/postgres.store.js';
export { createStore } from './store/store.factory.js';
export { keyDigest, generateApiKey } from './auth/key-digest.js';
export type * from './store/store.interface.js';
