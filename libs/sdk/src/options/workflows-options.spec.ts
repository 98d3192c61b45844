import { hostname } from 'node:os';
import { DEFAULT_EMBEDDED_PORT, WorkflowsOptionsError, resolveWorkflowsOptions } from './workflows-options.js';

describe('resolveWorkflowsOptions', () => {
  it('defaults to the embedded platform, a default deployment and the host name', () => {
    const options = resolveWorkflowsOptions({}, {});
    expect(options).toMatchObject({
      apiKey: null,
      serverUrl: null,
      deploymentName: 'default',
      workerName: hostname(),
      worker: true,
      embedded: { host: '127.0.0.1', port: DEFAULT_EMBEDDED_PORT, databasePath: '.workflows/platform.db', namespace: 'default' },
    });
  });

  it('reads Mistral-style environment variables', () => {
    const options = resolveWorkflowsOptions(
      {},
      {
        MISTRAL_API_KEY: 'k1',
        SERVER_URL: 'http://10.0.0.1:7420/',
        DEPLOYMENT_NAME: 'blue',
        WORKER_NAME: 'w-7',
        WORKFLOWS_PORT: '9000',
        WORKFLOWS_MAX_CONCURRENT_ACTIVITY_TASKS: '7',
      },
    );
    expect(options.maxConcurrentActivityTasks).toBe(7);
    expect(options).toMatchObject({ apiKey: 'k1', serverUrl: 'http://10.0.0.1:7420', deploymentName: 'blue', workerName: 'w-7' });
    expect(options.embedded.port).toBe(9000);
  });

  it('prefers explicit options over the environment', () => {
    const options = resolveWorkflowsOptions({ apiKey: 'mine', deploymentName: 'green' }, { MISTRAL_API_KEY: 'env', DEPLOYMENT_NAME: 'blue' });
    expect(options.apiKey).toBe('mine');
    expect(options.deploymentName).toBe('green');
  });

  it('lists every problem in one error', () => {
    let error: unknown;
    try {
      resolveWorkflowsOptions(
        { maxConcurrentActivityTasks: 0, workerName: 'bad\nname' },
        { SERVER_URL: 'ftp://x', WORKFLOWS_PORT: '70000', WORKFLOWS_MAX_CONCURRENT_WORKFLOW_TASKS: 'many' },
      );
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(WorkflowsOptionsError);
    expect((error as WorkflowsOptionsError).problems).toEqual([
      "serverUrl (SERVER_URL) must be an http:// or https:// URL, got 'ftp://x'",
      'apiKey (MISTRAL_API_KEY) is required when serverUrl (SERVER_URL) is set',
      'workerName (WORKER_NAME) must not contain control characters',
      "embedded.port (WORKFLOWS_PORT) must be a port number 0-65535, got '70000'",
      'maxConcurrentWorkflowTasks (WORKFLOWS_MAX_CONCURRENT_WORKFLOW_TASKS) must be a whole number >= 1, got many',
      'maxConcurrentActivityTasks (WORKFLOWS_MAX_CONCURRENT_ACTIVITY_TASKS) must be a whole number >= 1, got 0',
    ]);
  });

  it('runs workflow code in one thread with a 2 s deadlock timeout unless told otherwise', () => {
    expect(resolveWorkflowsOptions({}, {})).toMatchObject({ workflowThreads: 1, deadlockTimeoutMs: 2000 });
    expect(resolveWorkflowsOptions({}, { WORKFLOWS_WORKFLOW_THREADS: '0', WORKFLOWS_DEADLOCK_TIMEOUT_MS: '500' })).toMatchObject({
      workflowThreads: 0,
      deadlockTimeoutMs: 500,
    });
    expect(resolveWorkflowsOptions({ workflowThreads: 3 }, { WORKFLOWS_WORKFLOW_THREADS: '2' }).workflowThreads).toBe(3);
  });

  it('refuses a thread count or a deadlock timeout that is not a whole number in range', () => {
    const problems = (raw: object, env: Record<string, string>): string[] => {
      try {
        resolveWorkflowsOptions(raw, env);
        return [];
      } catch (error) {
        return (error as WorkflowsOptionsError).problems;
      }
    };
    expect(problems({}, { WORKFLOWS_WORKFLOW_THREADS: '-1', WORKFLOWS_DEADLOCK_TIMEOUT_MS: '2s' })).toEqual([
      'workflowThreads (WORKFLOWS_WORKFLOW_THREADS) must be a whole number >= 0, got -1',
      'deadlockTimeoutMs (WORKFLOWS_DEADLOCK_TIMEOUT_MS) must be a whole number >= 100, got 2s',
    ]);
    expect(problems({ workflowThreads: 1.5, deadlockTimeoutMs: 50 }, {})).toEqual([
      'workflowThreads (WORKFLOWS_WORKFLOW_THREADS) must be a whole number >= 0, got 1.5',
      'deadlockTimeoutMs (WORKFLOWS_DEADLOCK_TIMEOUT_MS) must be a whole number >= 100, got 50',
    ]);
  });
});
