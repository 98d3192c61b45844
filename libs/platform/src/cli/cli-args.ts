import { idProblem } from '#workflows/protocol';
import { DEFAULT_DATABASE_PATH } from '../options/platform.options.js';

/** A command of the platform CLI. */
export type CliCommand = { command: 'create-key'; namespace: string; databasePath: string } | { command: 'help' };

/** The CLI's usage text. */
export const CLI_USAGE = `Usage: cli create-key --namespace <namespace> [--db <path>]

  create-key   Creates an API key for a namespace, stores its digest and prints the key once.
  --namespace  The namespace the key opens (required).
  --db         The platform's SQLite file (default: $WORKFLOWS_DB_PATH or ${DEFAULT_DATABASE_PATH}).`;

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
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = inline ?? rest[++i];
    if (flag !== '--namespace' && flag !== '--db') throw new CliUsageError(`Unknown option '${flag}'`);
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) throw new CliUsageError(`${flag} needs a value`);
    if (flag === '--namespace') namespace = value;
    else databasePath = value;
  }
  if (namespace === undefined) throw new CliUsageError('--namespace is required');
  const problem = idProblem(namespace);
  if (problem) throw new CliUsageError(`--namespace ${problem}`);
  return { command: 'create-key', namespace, databasePath };
}
