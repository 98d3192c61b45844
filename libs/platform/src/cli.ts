import { SystemClock } from '#workflows/protocol';
import { generateApiKey, keyDigest } from './auth/key-digest.js';
import { CLI_USAGE, CliUsageError, parseCliArgs } from './cli/cli-args.js';
import { DEFAULT_DATABASE_SCHEMA } from './options/platform.options.js';
import { openStore } from './store/store.factory.js';

/**
 * The platform's command line: `create-key --namespace NS [--db PATH | --database-url URL]`
 * creates an API key, stores its digest (in SQLite, or in PostgreSQL for a database URL) and
 * prints the key once (it cannot be shown again).
 */
async function main(argv: readonly string[]): Promise<number> {
  let command;
  try {
    command = parseCliArgs(argv, process.env);
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${CLI_USAGE}\n`);
    return 2;
  }
  if (command.command === 'help') {
    process.stdout.write(`${CLI_USAGE}\n`);
    return 0;
  }
  const store = await openStore({
    databasePath: command.databasePath,
    sqliteSynchronous: 'FULL',
    databaseUrl: command.databaseUrl ?? null,
    databaseSchema: command.databaseSchema ?? DEFAULT_DATABASE_SCHEMA,
  });
  try {
    const key = generateApiKey();
    await store.putApiKey(keyDigest(key), command.namespace, new SystemClock().now());
    process.stderr.write(`Created an API key for namespace '${command.namespace}' in ${store.description}. It is shown once:\n`);
    process.stdout.write(`${key}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`create-key failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
