import { EventType, type ExecutionWire } from '#workflows/protocol';
import { WorkflowsClient } from '#workflows/sdk';
import { eventually } from '../support/history-checks.js';
import { startPlatformProcess, startWorkerProcess, type SpawnedProcess } from '../support/spawned-process.js';

const KEY = 'wf_versions_key';
const WORKER = 'dist/test/fixtures/interaction.worker.js';

describe('an incompatible deploy (R31)', () => {
  const processes: SpawnedProcess[] = [];
  let url: string;
  let client: WorkflowsClient;
  const startWorker = async (name: string, variant: string): Promise<SpawnedProcess> => {
    const worker = await startWorkerProcess(name, url, KEY, WORKER, { WORKFLOW_VARIANT: variant });
    processes.push(worker);
    return worker;
  };

  beforeAll(async () => {
    const platform = await startPlatformProcess(`${KEY}:versions`, {
      WORKFLOWS_HEARTBEAT_INTERVAL_MS: '200',
      WORKFLOWS_SESSION_TIMEOUT_MS: '2000',
    });
    processes.push(platform.process);
    url = platform.url;
    client = WorkflowsClient.connect({ serverUrl: url, apiKey: KEY });
  }, 30_000);

  afterAll(async () => {
    await client?.close();
    for (const child of processes.reverse()) await child.kill('SIGKILL');
  });

  it('parks the execution with a NonDeterminismError naming both commands, leaves its history alone, and resumes when compatible code returns', async () => {
    const v1 = await startWorker('w-v1', 'v1');
    const handle = await client.start('versioned', { executionId: 'versioned-1' });
    await eventually('the workflow to wait for its signal', async () => ((await handle.query('progress')) === 'waiting' ? true : undefined));
    await v1.kill('SIGTERM');

    const v2 = await startWorker('w-v2', 'v2');
    await handle.signal('proceed');
    const parked = await eventually('the workflow task to fail', async () => {
      const execution: ExecutionWire = await handle.describe();
      return execution.workflow_task_failure ? execution : undefined;
    });
    expect(parked.status).toBe('RUNNING');
    expect(parked.workflow_task_failure).toMatchObject({ type: 'NonDeterminismError' });
    expect(parked.workflow_task_failure!.message).toContain(
      'command #1 is SCHEDULE_ACTIVITY undo #1 but history recorded ACTIVITY_TASK_SCHEDULED record #1',
    );
    await v2.waitFor(/NonDeterminismError|cannot replay/);
    const history = await handle.history();
    // Nothing the new code produced was recorded: the signal, then only the task's failure.
    expect(history.slice(-2).map((event) => event.event_type)).toEqual([EventType.WorkflowExecutionSignaled, EventType.WorkflowTaskFailed]);
    await v2.kill('SIGKILL');

    await startWorker('w-v1-again', 'v1');
    expect(await handle.result()).toEqual(['recorded one', 'recorded two']);
    expect((await handle.describe()).workflow_task_failure).toBeNull();
    console.log('R31: incompatible code parked the execution (history untouched); the compatible deploy resumed it');
  }, 60_000);
});
