import { randomBytes } from 'node:crypto';
import { describe, it } from '@jest/globals';
import pg from 'pg';

/** The variable naming the PostgreSQL the tests may use (a fresh schema per run, dropped after). */
export const TEST_DATABASE_URL_VARIABLE = 'WORKFLOWS_TEST_DATABASE_URL';

/**
 * Declares a suite that needs PostgreSQL. With `WORKFLOWS_TEST_DATABASE_URL` set, `body` gets
 * the URL. Without it, outside CI the suite is skipped and says why; under `CI=true` it fails,
 * so that a CI run never passes without having run the PostgreSQL suites.
 */
export function describePostgres(name: string, body: (url: string) => void): void {
  const url = process.env[TEST_DATABASE_URL_VARIABLE]?.trim();
  if (url) {
    describe(name, () => body(url));
    return;
  }
  if (process.env['CI'] === 'true') {
    describe(name, () => {
      it('needs a PostgreSQL database', () => {
        throw new Error(`${TEST_DATABASE_URL_VARIABLE} is required under CI: set it to a PostgreSQL URL (e.g. postgres://postgres@127.0.0.1:5432/test)`);
      });
    });
    return;
  }
  console.warn(`Skipping '${name}': set ${TEST_DATABASE_URL_VARIABLE}=postgres://… to run it against PostgreSQL.`);
  // Skipped on purpose, reason in the title: no PostgreSQL configured outside CI (under CI the branch above fails).
  describe.skip(`${name} (skipped: ${TEST_DATABASE_URL_VARIABLE} is not set)`, () => {
    it('runs against PostgreSQL', () => undefined);
  });
}

/** A schema name no other run uses: `wf_test_<pid>_<random>`. */
export function testSchemaName(): string {
  return `wf_test_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Runs `sql` on a connection of its own. */
export async function adminQuery(url: string, sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

/** Empties every table of the store's schema (identities restart). */
export async function truncateStore(url: string, schema: string): Promise<void> {
  await adminQuery(
    url,
    `TRUNCATE ${schema}.api_keys, ${schema}.worker_sessions, ${schema}.workflow_registrations, ${schema}.executions,
       ${schema}.history_events, ${schema}.tasks RESTART IDENTITY`,
  );
}

/** Drops a test schema and everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  await adminQuery(url, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}
