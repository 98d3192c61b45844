import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { ErrorCode, EventType, ExecutionStatus } from '#workflows/protocol';
import { PlatformError } from '../../errors/platform.error.js';
import { describeStoreConformance } from '../conformance/store.conformance.js';
import { T0, callerOf, claimOf, complete, eventTypes, schedule, session, start, startTimer } from '../conformance/conformance.fixtures.js';
import { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION } from './sqlite.migrations.js';
import { SqliteStore } from './sqlite.store.js';

describeStoreConformance('SQLite in memory', async () => {
  const store = new SqliteStore({ path: ':memory:' });
  await store.init();
  return store;
});

describe('SqliteStore on a file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wf-sqlite-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates parent directories and keeps committed state across a reopen', async () => {
    const path = join(dir, 'nested', 'deeper', 'platform.db');
    const first = new SqliteStore({ path, synchronous: 'NORMAL' });
    await first.init();
    expect(first.description).toContain('synchronous=NORMAL');
    const s = session('a');
    await first.openWorkerSession(s);
    await start(first, 'a', 'e1');
    const [task] = await first.claimTasks(claimOf(s, T0 + 1));
    await first.completeWorkflowTask({ ...callerOf(s, task!, T0 + 2), commands: [complete('kept')] });
    await first.close();

    const second = new SqliteStore({ path });
    await second.init();
    expect(second.description).toContain('WAL, synchronous=FULL');
    expect(await second.getExecution('a', 'e1')).toMatchObject({ status: ExecutionStatus.Completed, result: 'kept', lastEventId: 3 });
    expect(await second.getWorkerSession('a', s.workerId)).toEqual(s);
    await second.close();
  });

  it('fires a timer that fell due while the platform was down once, at the first sweep after a reopen', async () => {
    const path = join(dir, 'platform.db');
    const s = session('a');
    const before = new SqliteStore({ path });
    await before.init();
    await before.openWorkerSession(s);
    await start(before, 'a', 'e1');
    const [task] = await before.claimTasks(claimOf(s, T0 + 1));
    await before.completeWorkflowTask({ ...callerOf(s, task!, T0 + 2), commands: [startTimer(1, 1000)] });
    await before.close();

    const after = new SqliteStore({ path });
    await after.init();
    expect((await after.expireTimeouts(T0 + 3_600_000, 10)).fired).toBe(1);
    expect((await after.expireTimeouts(T0 + 3_600_001, 10)).fired).toBe(0);
    expect((await eventTypes(after, 'a', 'e1')).filter((type) => type === EventType.TimerFired)).toHaveLength(1);
    await after.close();
  });

  it('refuses a database whose schema is newer than the code, naming both versions', async () => {
    const path = join(dir, 'platform.db');
    const store = new SqliteStore({ path });
    await store.init();
    await store.close();
    const raw = new Database(path);
    raw.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SQLITE_SCHEMA_VERSION + 1);
    raw.close();

    const newer = new SqliteStore({ path });
    const error = await newer.init().then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PlatformError);
    expect((error as PlatformError).detail).toContain(`schema version ${SQLITE_SCHEMA_VERSION + 1}`);
    expect((error as PlatformError).detail).toContain(`platform's ${SQLITE_SCHEMA_VERSION}`);
  });

  it('migrates an existing database once: reopening keeps one version row', async () => {
    const path = join(dir, 'platform.db');
    for (let i = 0; i < 2; i++) {
      const store = new SqliteStore({ path });
      await store.init();
      await store.close();
    }
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT version FROM schema_version').pluck().all()).toEqual(SQLITE_MIGRATIONS.map((m) => m.version));
    raw.close();
  });

  it('migrates a version 1 database: tasks kept, leases still expire, and no task id handed out twice', async () => {
    const path = join(dir, 'platform.db');
    const raw = new Database(path);
    raw.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    raw.exec(SQLITE_MIGRATIONS[0]!.sql);
    raw.prepare('INSERT INTO schema_version (version) VALUES (1)').run();
    raw.close();
    const s = session('a');
    const v1 = new SqliteStore({ path });
    const old = new Database(path);
    old.exec(`INSERT INTO executions VALUES ('a', 'e1', 'r1', 'wf', NULL, NULL, 'e1', 'RUNNING', NULL, NULL, NULL, ${T0}, NULL, 1)`);
    old.exec(`INSERT INTO history_events VALUES ('r1', 1, 'a', 'e1', 'WORKFLOW_EXECUTION_STARTED', ${T0}, NULL, '{}')`);
    old.exec(`INSERT INTO tasks (id, namespace, kind, execution_id, run_id, name, state, attempt, visible_at) VALUES (40, 'a', 'workflow', 'e1', 'r1', 'wf', 'queued', 1, ${T0})`);
    old.exec(`INSERT INTO tasks (id, namespace, kind, execution_id, run_id, name, state, attempt, visible_at) VALUES (41, 'a', 'activity', 'e1', 'r1', 'gone', 'queued', 1, ${T0})`);
    old.exec('DELETE FROM tasks WHERE id = 41');
    old.close();

    await v1.init();
    await v1.openWorkerSession(s);
    const [task] = await v1.claimTasks(claimOf(s, T0 + 1));
    expect(task).toMatchObject({ execution_id: 'e1', task_token: 'w40.1' });
    const outcome = await v1.completeWorkflowTask({ ...callerOf(s, task!, T0 + 2), commands: [schedule(1)] });
    expect(outcome.tasks).toHaveLength(1);
    const [activity] = await v1.claimTasks(claimOf(s, T0 + 3));
    expect(Number(/^a(\d+)\./.exec(activity!.task_token)![1])).toBeGreaterThan(41);
    await v1.close();
  });

  it('answers WF_UNAVAILABLE, not a driver error, when another connection holds the write lock', async () => {
    const path = join(dir, 'platform.db');
    const store = new SqliteStore({ path, busyTimeoutMs: 0 });
    await store.init();
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    const error = await store.putApiKey('d', 'a', T0).then(
      () => null,
      (caught: unknown) => caught,
    );
    other.exec('ROLLBACK');
    other.close();
    expect(error).toBeInstanceOf(PlatformError);
    expect((error as PlatformError).code).toBe(ErrorCode.Unavailable);
    await store.close();
  });
});
