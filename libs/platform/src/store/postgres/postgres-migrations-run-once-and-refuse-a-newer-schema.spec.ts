import { afterEach, expect, it } from '@jest/globals';
import { ErrorCode } from '#workflows/protocol';
import { PlatformError } from '../../errors/platform.error.js';
import { adminQuery, describePostgres, dropSchema, testSchemaName } from '../conformance/postgres-test.database.js';
import { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION } from './postgres.migrations.js';
import { PostgresStore } from './postgres.store.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (caught: unknown) => caught,
  );
}

describePostgres('PostgreSQL migrations and connection', (url) => {
  const schemas: string[] = [];
  const stores: PostgresStore[] = [];
  const fresh = () => {
    const schema = testSchemaName();
    schemas.push(schema);
    return schema;
  };
  const store = (schema: string) => {
    const created = new PostgresStore({ url, schema, poolSize: 2 });
    stores.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    for (const schema of schemas.splice(0)) await dropSchema(url, schema);
  });

  it('apply once when several nodes start together', async () => {
    const schema = fresh();
    await Promise.all([store(schema).init(), store(schema).init(), store(schema).init()]);
    const { rows } = await adminQuery(url, `SELECT version FROM ${schema}.schema_version ORDER BY version`);
    expect(rows.map((row: { version: number }) => row.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
  });

  it('describe the engine, database, schema and durability, never the password', async () => {
    const schema = fresh();
    const withPassword = new URL(url);
    withPassword.password = 'secret-password';
    const first = store(schema);
    await first.init();
    const described = new PostgresStore({ url: withPassword.toString(), schema });
    expect(first.description).toMatch(new RegExp(`^PostgreSQL [^ ]+:\\d+/[^ ]+ schema ${schema} \\(synchronous_commit=(on|off|local|remote_write|remote_apply)\\)$`));
    expect(described.description).not.toContain('secret-password');
  });

  it('refuse a schema written by a newer version, naming both versions', async () => {
    const schema = fresh();
    await store(schema).init();
    await adminQuery(url, `INSERT INTO ${schema}.schema_version (version) VALUES ($1)`, [POSTGRES_SCHEMA_VERSION + 1]);
    const error = await rejection(store(schema).init());
    expect(error).toBeInstanceOf(PlatformError);
    expect((error as PlatformError).detail).toContain(`schema version ${POSTGRES_SCHEMA_VERSION + 1}`);
    expect((error as PlatformError).detail).toContain(`platform's ${POSTGRES_SCHEMA_VERSION}`);
  });

  it('say in one line that an unreachable database cannot be reached', async () => {
    const unreachable = new URL(url);
    unreachable.port = '1';
    const failing = new PostgresStore({ url: unreachable.toString(), schema: 'workflows', connectTimeoutMs: 2000 });
    const refused = await rejection(failing.init());
    expect(refused).toBeInstanceOf(PlatformError);
    expect((refused as PlatformError).code).toBe(ErrorCode.Unavailable);
    expect((refused as PlatformError).detail).toMatch(new RegExp(`^Cannot connect to PostgreSQL at ${unreachable.hostname}:1/[^:]+: .*ECONNREFUSED`));
    expect((refused as PlatformError).detail).not.toContain('\n');
  });

  it('recover by themselves when the server drops every connection: the next call succeeds, the listener comes back', async () => {
    const schema = fresh();
    const node = store(schema);
    await node.init();
    await node.putApiKey('d1', 'a', 1);
    const resynced = new Promise<void>((resolve) => node.subscribe({ transition: () => undefined, resync: resolve }));
    await adminQuery(url, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [`workflows ${schema}`]);
    await node.putApiKey('d2', 'b', 2);
    expect(await node.namespaceForKey('d2')).toBe('b');
    await resynced;
  });
});
