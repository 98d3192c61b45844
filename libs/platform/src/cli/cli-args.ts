import { idProblem } from '#workflows/protocol';
import { DEFAULT_DATABASE_PATH } from '../options/platform.options.js';
import { PostgresUrlError, parsePostgresUrl } from '../store/postgres/postgres-connection.js';

/** A command of the platform CLI; `databaseUrl` (PostgreSQL) is present only when one was given. */
export type CliCommand =
  | { command: 'create-key'; namespace: string; databasePath: string; databaseUrl?: string; databaseSchema?: string }
  | { command: 'help' };

/** The CLI's usage text. */
export const CLI_USAGE = `Usage: cli create-key --namespace <namespace> [--db <path> | --database-url <postgres://…>]

  create-key      Creates an API key for a namespace, stores its digest and prints the key once.
  --namespace     The namespace the key opens (required).
  --db            The platform's SQLite file (default: $WORKFLOWS_DB_PATH or ${DEFAULT_DATABASE_PATH}).
  --database-url  The platform's PostgreSQL (default: $WORKFLOWS_DATABASE_URL); selects PostgreSQL
                  (schema $WORKFLOWS_DATABASE_SCHEMA or workflows).`;

/** A usage problem: shown with the usage text, never with a stack. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** Parses the CLI's arguments (without `node` and the script). */
export function parseCliArgs(argv: readonly string[], env: Partial<Record<string, string>> = {}): CliCommand {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  if (command !== 'create-key') throw new CliUsageError(`Unknown command '${command}'`);
  let namespace: string | undefined;
  let databasePath = env['WORKFLOWS_DB_PATH']?.trim() || DEFAULT_DATABASE_PATH;
  let databaseUrl = env['WORKFLOWS_DATABASE_URL']?.trim() || undefined;
  const databaseSchema = env['WORKFLOWS_DATABASE_SCHEMA']?.trim() || undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = inline ?? rest[++i];
    if (flag !== '--namespace' && flag !== '--db' && flag !== '--database-url') throw new CliUsageError(`Unknown option '${flag}'`);
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) throw new CliUsageError(`${flag} needs a value`);
    if (flag === '--namespace') namespace = value;
    else if (flag === '--database-url') databaseUrl = value;
    else databasePath = value;
  }
  if (namespace === undefined) throw new CliUsageError('--namespace is required');
  const problem = idProblem(namespace);
  if (problem) throw new CliUsageError(`--namespace ${problem}`);
  if (databaseUrl !== undefined) {
    try {
      parsePostgresUrl(databaseUrl);
    } catch (error) {
      if (!(error instanceof PostgresUrlError)) throw error;
      throw new CliUsageError(`--database-url: ${error.message}`);
    }
  }
  return {
    command: 'create-key',
    namespace,
    databasePath,
    ...(databaseUrl !== undefined ? { databaseUrl } : {}),
    ...(databaseSchema !== undefined ? { databaseSchema } : {}),
  };
}
