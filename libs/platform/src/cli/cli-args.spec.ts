import { describe, expect, it } from '@jest/globals';
import { CliUsageError, parseCliArgs } from './cli-args.js';

describe('parseCliArgs', () => {
  it('reads create-key with a namespace and a database, in both flag styles', () => {
    expect(parseCliArgs(['create-key', '--namespace', 'prod', '--db', '/tmp/x.db'])).toEqual({ command: 'create-key', namespace: 'prod', databasePath: '/tmp/x.db' });
    expect(parseCliArgs(['create-key', '--namespace=prod', '--db=/tmp/y.db'])).toEqual({ command: 'create-key', namespace: 'prod', databasePath: '/tmp/y.db' });
  });

  it('defaults the database to WORKFLOWS_DB_PATH, then .workflows/platform.db', () => {
    expect(parseCliArgs(['create-key', '--namespace', 'dev'], { WORKFLOWS_DB_PATH: '/data/p.db' })).toMatchObject({ databasePath: '/data/p.db' });
    expect(parseCliArgs(['create-key', '--namespace', 'dev'])).toMatchObject({ databasePath: '.workflows/platform.db' });
  });

  it('selects PostgreSQL with --database-url or WORKFLOWS_DATABASE_URL, the flag first', () => {
    expect(parseCliArgs(['create-key', '--namespace', 'dev', '--database-url', 'postgres://db/wf'])).toMatchObject({ databaseUrl: 'postgres://db/wf' });
    const env = { WORKFLOWS_DATABASE_URL: 'postgresql://env/wf', WORKFLOWS_DATABASE_SCHEMA: 'platform' };
    expect(parseCliArgs(['create-key', '--namespace', 'dev'], env)).toMatchObject({ databaseUrl: 'postgresql://env/wf', databaseSchema: 'platform' });
    expect(parseCliArgs(['create-key', '--namespace', 'dev', '--database-url=postgres://flag/wf'], env)).toMatchObject({ databaseUrl: 'postgres://flag/wf' });
    expect(() => parseCliArgs(['create-key', '--namespace', 'dev', '--database-url', 'mysql://db/wf'])).toThrow(
      new CliUsageError('--database-url: the database URL must start with postgres:// or postgresql://'),
    );
  });

  it('asks for help without a command', () => {
    expect(parseCliArgs([])).toEqual({ command: 'help' });
    expect(parseCliArgs(['--help'])).toEqual({ command: 'help' });
  });

  it.each([
    [['delete-key'], "Unknown command 'delete-key'"],
    [['create-key'], '--namespace is required'],
    [['create-key', '--namespace'], '--namespace needs a value'],
    [['create-key', '--namespace', '--db', 'x'], '--namespace needs a value'],
    [['create-key', '--namespace', 'a', '--force'], "Unknown option '--force'"],
    [['create-key', '--namespace', 'bad\u0007name'], '--namespace must not contain control characters'],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(new CliUsageError(message));
  });
});
