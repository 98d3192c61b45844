import { EventType, type ExecutionWire, type HistoryEvent } from '#workflows/protocol';
import { WorkflowsClient } from '#workflows/sdk';
import { eventually } from '../support/history-checks.js';
import { startPlatformProcess, startWorkerProcess, type SpawnedProcess } from '../support/spawned-process.js';

const KEY = 'wf_deadlock_key';
const WORKER = 'dist/test/fixtures/deadlock.worker.js';
const DEADLOCK =
  "Workflow 'spinner' (execution spinner-1) did not yield within 500 ms: workflow code must not loop or block; it waits only through ctx and activities";

/** How many times the worker logged the deadlock so far. */
const deadlocksLogged = (worker: SpawnedProcess): number => worker.text.split(DEADLOCK).length - 1;

describe('workflow code that never yields (R32)', () => {
  const processes: SpawnedProcess[] = [];
  let url: string;
  let client: WorkflowsClient;
  let worker: SpawnedProcess;

  beforeAll(async () => {
    const platform = await startPlatformProcess(`${KEY}:deadlock`);
    processes.push(platform.process);
    url = platform.url;
    client = WorkflowsClient.connect({ serverUrl: url, apiKey: KEY });
    // One thread: after a deadlock or a crash, workflows can only run on the thread that replaced it.
    worker = await startWorkerProcess('w-deadlock', url, KEY, WORKER, { WORKFLOWS_DEADLOCK_TIMEOUT_MS: '500', WORKFLOWS_WORKFLOW_THREADS: '1' });
    processes.push(worker);
  }, 30_000);

  afterAll(async () => {
    await client?.close();
    for (const child of processes.reverse()) await child.kill('SIGKILL');
  });

  it('fails its workflow task with a DeadlockError naming the workflow, and the same worker process goes on running other workflows', async () => {
    await worker.waitFor(/Workflow code runs in 1 worker thread/);
    const pid = worker.pid;

    const spinner = await client.start('spinner', { executionId: 'spinner-1', input: { loop: true } });
    const parked = await eventually('the workflow task to fail', async () => {
      const execution: ExecutionWire = await spinner.describe();
      return execution.workflow_task_failure ? execution : undefined;
    });
    expect(parked.status).toBe('RUNNING');
    expect(parked.workflow_task_failure).toMatchObject({ type: 'DeadlockError', message: DEADLOCK });
    const failed = (await spinner.history()).filter(
      (event): event is HistoryEvent<typeof EventType.WorkflowTaskFailed> => event.event_type === EventType.WorkflowTaskFailed,
    );
    expect(failed.map((event) => event.attributes.failure)).toContainEqual(expect.objectContaining({ type: 'DeadlockError', message: DEADLOCK }));
    // The task is retried later and deadlocks again: a replacement thread took it, and was replaced in turn.
    await eventually('the retried task to deadlock again', async () => (deadlocksLogged(worker) >= 2 ? true : undefined));

    expect(await client.execute<number>('quick', { input: 21 })).toBe(42);
    expect(worker.exited).toBe(false);
    expect(worker.pid).toBe(pid);
    expect(() => process.kill(pid, 0)).not.toThrow();

    await spinner.terminate('loops forever');
    expect((await spinner.describe()).status).toBe('TERMINATED');
    console.log(`R32: ${deadlocksLogged(worker)} deadlock(s) of 500 ms failed their workflow task; worker PID ${pid} stayed up and completed another workflow`);
  }, 60_000);

  it('replaces a thread that workflow code ends, fails only that workflow task, and the retry completes', async () => {
    const pid = worker.pid;
    const handle = await client.start('exiter', { executionId: 'exiter-1' });
    expect(await handle.result()).toBe(2);
    const failures = (await handle.history())
      .filter((event): event is HistoryEvent<typeof EventType.WorkflowTaskFailed> => event.event_type === EventType.WorkflowTaskFailed)
      .map((event) => event.attributes.failure);
    expect(failures).toEqual([expect.objectContaining({ type: 'WorkflowThreadExited', message: expect.stringContaining('exited with code 7') })]);
    expect(worker.text).toMatch(/Workflow thread 1 exited with code 7; starting another/);
    expect(worker.exited).toBe(false);
    expect(worker.pid).toBe(pid);
  }, 60_000);
});
