import { SystemClock } from '#workflows/protocol';
import { generateApiKey, keyDigest } from './auth/key-digest.js';
import { CLI_USAGE, CliUsageError, parseCliArgs } from './cli/cli-args.js';
import { SqliteStore } from './store/sqlite/sqlite.store.js';

/**
 * The platform's command line: `create-key --namespace NS [--db PATH]` creates an API key,
 * stores its digest and prints the key once (it cannot be shown again).
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
  const store = new SqliteStore({ path: command.databasePath });
  await store.init();
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
