import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EventType, PlatformFailureType, type HistoryEvent } from '#workflows/protocol';
import type { WorkflowsClient } from '#workflows/sdk';
import { E2eCluster } from '../support/e2e-cluster.js';
import type { SpawnedProcess } from '../support/spawned-process.js';

const KEY = 'wf_local_activities_key';
const WORKER = 'dist/test/fixtures/local-activities.worker.js';
/** Short, so that a crashed worker's workflow task comes back soon; its half (1.5 s) is the local activities' budget. */
const WORKFLOW_TASK_TIMEOUT_MS = 3000;
/** Two threads per worker: a run must go on, after its local activities, on the thread that holds it. */
const WORKER_ENV = { WORKFLOWS_WORKFLOW_THREADS: '2' };

/** The local_activity markers of a history: activity id, name, attempts and result. */
function localMarkers(history: HistoryEvent[]): { activity_id: number; activity_name: string; attempts: number; result?: unknown }[] {
  return history
    .filter((event): event is HistoryEvent<typeof EventType.MarkerRecorded> => event.event_type === EventType.MarkerRecorded && event.attributes.marker_name === 'local_activity')
    .map((event) => event.attributes.details as never);
}

/** How many times each worker's MARK lines say `step` of `executionId` started. */
function runsOf(workers: SpawnedProcess[], executionId: string, step: number): Record<string, number> {
  const runs: Record<string, number> = {};
  for (const worker of workers) {
    const count = worker.text.split('\n').filter((line) => line.startsWith(`MARK local ${executionId} step=${step} `)).length;
    if (count > 0) runs[worker.name] = count;
  }
  return runs;
}

describe('local activities run in workflow threads and survive a worker crash', () => {
  const cluster = new E2eCluster(KEY, 'local', WORKER);
  const { dir } = cluster;
  let client: WorkflowsClient;
  const worker = (name: string, deploymentName: string): Promise<SpawnedProcess> => cluster.worker(name, { ...WORKER_ENV, DEPLOYMENT_NAME: deploymentName });

  beforeAll(async () => {
    await cluster.start({ WORKFLOWS_WORKFLOW_TASK_TIMEOUT_MS: String(WORKFLOW_TASK_TIMEOUT_MS) });
    client = cluster.client;
  }, 30_000);

  afterAll(() => cluster.close());

  it('run inside workflow tasks on worker threads: recorded as markers, no activity task, no failed workflow task, each step run once', async () => {
    const workers = [await worker('w-threads-a', 'threads'), await worker('w-threads-b', 'threads')];
    for (const w of workers) expect(w.text).toMatch(/Workflow code runs in 2 worker thread\(s\)/);
    const startedAt = performance.now();
    // Several at once: while one run waits for its local activities, its thread takes other runs' tasks.
    const handles = await Promise.all(
      Array.from({ length: 6 }, (_, n) => client.start('local-steps', { input: { ms: 20 }, executionId: `threads-${n}`, deploymentName: 'threads' })),
    );
    const results = (await Promise.all(handles.map((handle) => handle.result()))) as string[][];
    const elapsedMs = performance.now() - startedAt;
    for (const [n, handle] of handles.entries()) {
      expect(results[n]).toEqual([1, 2, 3, 4].map((step) => expect.stringMatching(new RegExp(`^${step}:w-threads-[ab]$`))));
      const history = await handle.history();
      expect(localMarkers(history)).toEqual([1, 2, 3, 4].map((id, i) => ({ activity_id: id, activity_name: 'step', attempts: 1, result: results[n]![i] })));
      expect(history.filter((e) => e.event_type === EventType.ActivityTaskScheduled)).toEqual([]);
      expect(history.filter((e) => e.event_type === EventType.WorkflowTaskFailed)).toEqual([]);
      for (const step of [1, 2, 3, 4]) expect(Object.values(runsOf(workers, handle.executionId, step))).toEqual([1]);
    }
    console.log(`local activities: ${handles.length} executions x 4 local steps in ${elapsedMs.toFixed(0)} ms on 2 workers x 2 threads; 0 activity tasks, 0 failed workflow tasks`);
  }, 30_000);

  it('kill -9 mid local activity: another worker takes the task over after its timeout and runs again only that task\'s local activities', async () => {
    const workers = [await worker('w-crash-a', 'crash'), await worker('w-crash-b', 'crash')];
    const handle = await client.start('local-steps', { input: { ms: 10, hangFile: join(dir, 'hang-once') }, executionId: 'crash', deploymentName: 'crash' });
    const { victim } = await Promise.any(workers.map(async (w) => ({ victim: w, match: await w.waitFor(/MARK hanging crash step=4 /, 20_000) })));
    const survivor = workers.find((w) => w !== victim)!;
    await victim.kill('SIGKILL');
    const killedAt = performance.now();
    await survivor.waitFor(new RegExp(`MARK local crash step=4 worker=${survivor.name}\\n`), 20_000);
    const takeoverMs = performance.now() - killedAt;
    const result = (await handle.result()) as string[];

    // Step 1 was recorded by a task that completed before the kill, on the victim (the run was sticky to it): the
    // survivor rebuilt the run from history, step 1 from its marker, and did not run it again.
    expect(runsOf(workers, 'crash', 1)).toEqual({ [victim.name]: 1 });
    // Steps 2 to 4 ran in the task that was lost with the worker: run again (at least once), all by the survivor.
    for (const step of [2, 3, 4]) expect(runsOf(workers, 'crash', step)).toEqual({ [victim.name]: 1, [survivor.name]: 1 });
    expect(result).toEqual([`1:${victim.name}`, `2:${survivor.name}`, `3:${survivor.name}`, `4:${survivor.name}`]);

    const history = await handle.history();
    expect(localMarkers(history).map((m) => [m.activity_id, m.attempts, m.result])).toEqual([
      [1, 1, result[0]],
      [2, 1, result[1]],
      [3, 1, result[2]],
      [4, 1, result[3]],
    ]);
    expect(history.filter((e) => e.event_type === EventType.ActivityTaskScheduled)).toEqual([]);
    const failed = history.filter((e): e is HistoryEvent<typeof EventType.WorkflowTaskFailed> => e.event_type === EventType.WorkflowTaskFailed);
    expect(failed.map((e) => [e.attributes.failure.type, e.attributes.worker_name])).toEqual([[PlatformFailureType.WorkflowTaskTimeout, victim.name]]);
    console.log(
      `local activities: kill -9 of ${victim.name} mid local activity; ${survivor.name} ran the task again ${takeoverMs.toFixed(0)} ms later ` +
        `(workflow task timeout ${WORKFLOW_TASK_TIMEOUT_MS} ms); step 1 run once, steps 2-4 twice, each recorded once`,
    );
    expect(takeoverMs).toBeLessThan(WORKFLOW_TASK_TIMEOUT_MS + 2000);
  }, 30_000);
});
