import { performance } from 'node:perf_hooks';
import { EventType, ExecutionStatus } from '#workflows/protocol';
import { WorkflowsClient } from '#workflows/sdk';
import { SpawnedProcess, startPlatformProcess, startWorkerProcess } from '../support/spawned-process.js';

const KEY = 'wf_shutdown_key';
const WORKER = 'dist/test/fixtures/shutdown.worker.js';
/**
 * The issue saw 1-2 of five executions fail; with five, an unfixed worker failed 3 runs of 4
 * here. Ten keep enough completions in flight at the SIGTERM that it fails every run.
 */
const EXECUTIONS = 10;
/** Enough short steps that every execution is mid-loop, with tasks in flight, when the SIGTERM lands. */
const STEPS = 40;
const STEP_MS = 2;

describe('a graceful shutdown hands back the tasks it never started', () => {
  const processes: SpawnedProcess[] = [];
  let url: string;
  let client: WorkflowsClient;

  const worker = async (name: string): Promise<SpawnedProcess> => {
    const started = await startWorkerProcess(name, url, KEY, WORKER, { WORKFLOWS_SHUTDOWN_GRACE_MS: '10000' });
    processes.push(started);
    return started;
  };

  beforeAll(async () => {
    const platform = await startPlatformProcess(`${KEY}:shutdown`);
    processes.push(platform.process);
    url = platform.url;
    client = WorkflowsClient.connect({ serverUrl: url, apiKey: KEY });
  }, 30_000);

  afterAll(async () => {
    await client?.close();
    for (const child of processes.reverse()) await child.kill('SIGKILL');
  });

  it('SIGTERM mid-loop: no attempt of a run-once activity is failed, and the next worker completes every execution', async () => {
    const leaving = await worker('w-leaving');
    const handles = await Promise.all(
      Array.from({ length: EXECUTIONS }, (_, n) => client.start('loop', { input: { steps: STEPS, ms: STEP_MS }, executionId: `loop-${n}` })),
    );
    // Every execution is running on the worker: its third step has started there.
    for (let n = 0; n < EXECUTIONS; n++) await leaving.waitFor(new RegExp(`MARK step loop-${n} i=3 attempt=1 `));
    const signalledAt = performance.now();
    expect(await leaving.kill('SIGTERM')).toBe(0);
    const exitMs = performance.now() - signalledAt;

    await worker('w-staying');
    // Each execution closes; a failed one is reported below with the attempts that failed it.
    await Promise.allSettled(handles.map((handle) => handle.result()));
    const statuses: Record<string, string> = {};
    const failed: string[] = [];
    for (const handle of handles) {
      statuses[handle.executionId] = (await handle.describe()).status;
      for (const event of await handle.history()) {
        if (event.event_type === EventType.ActivityTaskFailed) failed.push(`${handle.executionId} activity ${event.attributes.activity_id} attempt ${event.attributes.attempt}: ${event.attributes.failure?.type}`);
      }
    }
    const released = /Released (\d+) unfinished task/.exec(leaving.text)?.[1] ?? '0';
    console.log(`graceful shutdown: exited ${exitMs.toFixed(0)} ms after SIGTERM, handed back ${released} task(s); failed activity attempts: ${failed.length}`);
    // The activity itself never fails: any ACTIVITY_TASK_FAILED is an attempt the shutdown failed.
    expect(failed).toEqual([]);
    expect(statuses).toEqual(Object.fromEntries(handles.map((handle) => [handle.executionId, ExecutionStatus.Completed])));
    expect(await Promise.all(handles.map((handle) => handle.result()))).toEqual(handles.map(() => STEPS));
  }, 60_000);
});
