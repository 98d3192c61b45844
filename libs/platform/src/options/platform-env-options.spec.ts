import { describe, expect, it } from '@jest/globals';
import { PlatformEnvError, resolvePlatformOptions } from './platform-env.options.js';
import { applyPlatformDefaults } from './platform.options.js';

describe('resolvePlatformOptions', () => {
  it('reads every variable', () => {
    expect(
      resolvePlatformOptions({
        WORKFLOWS_HOST: '0.0.0.0',
        WORKFLOWS_PORT: '8080',
        WORKFLOWS_DB_PATH: '/data/p.db',
        WORKFLOWS_SQLITE_SYNCHRONOUS: 'normal',
        WORKFLOWS_API_KEYS: 'key-one-123:prod, key:with:colons:staging',
        WORKFLOWS_HEARTBEAT_INTERVAL_MS: '1000',
        WORKFLOWS_SESSION_TIMEOUT_MS: '5000',
        WORKFLOWS_WORKFLOW_TASK_TIMEOUT_MS: '20000',
        WORKFLOWS_PUBLIC_URL: 'https://wf.example.com',
      }),
    ).toEqual({
      host: '0.0.0.0',
      port: 8080,
      databasePath: '/data/p.db',
      sqliteSynchronous: 'NORMAL',
      apiKeys: [
        { key: 'key-one-123', namespace: 'prod' },
        { key: 'key:with:colons', namespace: 'staging' },
      ],
      heartbeatIntervalMs: 1000,
      sessionTimeoutMs: 5000,
      workflowTaskTimeoutMs: 20_000,
      publicUrl: 'https://wf.example.com',
    });
  });

  it('selects PostgreSQL with WORKFLOWS_DATABASE_URL, and SQLite without it', () => {
    const options = resolvePlatformOptions({ WORKFLOWS_DATABASE_URL: 'postgres://u:p@db.internal:5433/wf', WORKFLOWS_DATABASE_SCHEMA: 'platform' });
    expect(options).toMatchObject({ databaseUrl: 'postgres://u:p@db.internal:5433/wf', databaseSchema: 'platform' });
    expect(applyPlatformDefaults(options)).toMatchObject({ databaseUrl: 'postgres://u:p@db.internal:5433/wf', databaseSchema: 'platform' });
    expect(applyPlatformDefaults(resolvePlatformOptions({ WORKFLOWS_DATABASE_URL: 'postgresql://db/wf' }))).toMatchObject({ databaseSchema: 'workflows' });
    expect(applyPlatformDefaults({})).toMatchObject({ databaseUrl: null, databasePath: '.workflows/platform.db' });
  });

  it('refuses a database URL that is not PostgreSQL, without printing it', () => {
    expect(() => resolvePlatformOptions({ WORKFLOWS_DATABASE_URL: 'mysql://root:hunter2@db/wf' })).toThrow(
      /WORKFLOWS_DATABASE_URL: the database URL must start with postgres:\/\/ or postgresql:\/\//,
    );
    expect(() => resolvePlatformOptions({ WORKFLOWS_DATABASE_URL: 'mysql://root:hunter2@db/wf' })).not.toThrow(/hunter2/);
    expect(() => applyPlatformDefaults({ databaseUrl: 'postgres://[bad' })).toThrow(/databaseUrl: the database URL is not a valid URL/);
    expect(() => applyPlatformDefaults({ databaseSchema: 'Bad-Schema' })).toThrow(/databaseSchema must be a lowercase SQL identifier/);
  });

  it('leaves unset and empty variables to the defaults', () => {
    const options = resolvePlatformOptions({ WORKFLOWS_PORT: '', WORKFLOWS_API_KEYS: ' ' });
    expect(options).toEqual({ apiKeys: [] });
    expect(applyPlatformDefaults(options)).toMatchObject({ host: '127.0.0.1', port: 7420, databasePath: '.workflows/platform.db', sqliteSynchronous: 'FULL', heartbeatIntervalMs: 3000, sessionTimeoutMs: 10_000, workflowTaskTimeoutMs: 10_000 });
  });

  it('names every malformed variable at once, never printing a key', () => {
    let error: unknown;
    try {
      resolvePlatformOptions({ WORKFLOWS_PORT: '70000', WORKFLOWS_SQLITE_SYNCHRONOUS: 'OFF', WORKFLOWS_API_KEYS: 'good-key-1:ns,secret-without-namespace', WORKFLOWS_SESSION_TIMEOUT_MS: '1.5', WORKFLOWS_WORKFLOW_TASK_TIMEOUT_MS: '0' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PlatformEnvError);
    const message = (error as Error).message;
    expect(message).toContain("WORKFLOWS_PORT must be an integer from 0 to 65535 (got '70000')");
    expect(message).toContain("WORKFLOWS_SQLITE_SYNCHRONOUS must be FULL or NORMAL (got 'OFF')");
    expect(message).toContain("WORKFLOWS_API_KEYS entry 2 is not 'key:namespace'");
    expect(message).toContain('WORKFLOWS_SESSION_TIMEOUT_MS must be an integer');
    expect(message).toContain("WORKFLOWS_WORKFLOW_TASK_TIMEOUT_MS must be an integer from 1 to 3600000 (got '0')");
    expect(message).not.toContain('secret-without-namespace');
  });

  it('reads the history limits (R35), defaulting to 10,000 and 50,000 events, the soft below the hard', () => {
    expect(resolvePlatformOptions({ WORKFLOWS_HISTORY_WARN_EVENTS: '100', WORKFLOWS_HISTORY_MAX_EVENTS: '500' })).toMatchObject({ historyWarnEvents: 100, historyMaxEvents: 500 });
    expect(applyPlatformDefaults({})).toMatchObject({ historyWarnEvents: 10_000, historyMaxEvents: 50_000 });
    expect(() => resolvePlatformOptions({ WORKFLOWS_HISTORY_MAX_EVENTS: 'many' })).toThrow("WORKFLOWS_HISTORY_MAX_EVENTS must be an integer from 2 to 10000000 (got 'many')");
    expect(() => applyPlatformDefaults({ historyWarnEvents: 500, historyMaxEvents: 500 })).toThrow('historyWarnEvents (500) must be lower than historyMaxEvents (500)');
  });

  it('refuses options that cannot work together', () => {
    expect(() => applyPlatformDefaults({ heartbeatIntervalMs: 5000, sessionTimeoutMs: 5000, apiKeys: [{ key: 'short', namespace: 'ns' }] })).toThrow(
      /sessionTimeoutMs \(5000\) must be longer than heartbeatIntervalMs \(5000\)[\s\S]*apiKeys\[0\]\.key must be a string of at least 8 characters|apiKeys\[0\]\.key[\s\S]*sessionTimeoutMs/,
    );
  });
});
