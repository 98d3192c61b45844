import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventType } from '#workflows/protocol';
import { WorkflowsClient } from '#workflows/sdk';
import { SpawnedProcess, freePort, startWorkerProcess } from '../support/spawned-process.js';

const KEY = 'wf_long_lived_key';
const WORKER = 'dist/test/fixtures/long-lived.worker.js';

describe('a long-lived workflow continues as new', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wf-long-lived-'));
  const processes: SpawnedProcess[] = [];
  let client: WorkflowsClient;
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const platform = new SpawnedProcess('platform', 'dist/libs/platform/src/main.js', {
      WORKFLOWS_PORT: String(port),
      WORKFLOWS_DB_PATH: join(dir, 'platform.db'),
      WORKFLOWS_API_KEYS: `${KEY}:long-lived`,
      // A counting step adds 4 events (task completed, activity scheduled, started, completed): from
      // the 4th workflow task of a run (13 events) the platform suggests continuing, after 3 steps.
      WORKFLOWS_HISTORY_WARN_EVENTS: '10',
      WORKFLOWS_HISTORY_MAX_EVENTS: '200',
    });
    processes.push(platform);
    await platform.waitFor(/listening on/);
    processes.push(await startWorkerProcess('w-long-lived', url, KEY, WORKER));
    client = WorkflowsClient.connect({ serverUrl: url, apiKey: KEY });
  }, 30_000);

  afterAll(async () => {
    await client?.close();
    for (const child of processes.reverse()) await child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts to 12 over several runs of one execution: result() follows the chain, and every run stays readable', async () => {
    const handle = await client.start('counter', { executionId: 'count-to-12', input: { count: 0, target: 12, every: 5 } });
    expect(await handle.result()).toBe(12);

    // Walk the chain back from the last run: each run names the one it continued.
    const runs: { runId: string; types: string[] }[] = [];
    let runId: string | undefined = (await handle.describe()).run_id;
    while (runId) {
      const events = await handle.history({ runId });
      runs.unshift({ runId, types: events.map((event) => event.event_type) });
      runId = (events[0]!.attributes as { continued_from_run_id?: string }).continued_from_run_id;
    }
    // 3 steps a run (the suggestion comes before `every`, 5): 4 runs, where `every` alone makes 3.
    expect(runs.map((run) => run.types.filter((type) => type === EventType.ActivityTaskCompleted).length)).toEqual([3, 3, 3, 3]);
    for (const run of runs.slice(0, -1)) expect(run.types.at(-1)).toBe(EventType.WorkflowExecutionContinuedAsNew);
    expect(runs.at(-1)!.types.at(-1)).toBe(EventType.WorkflowExecutionCompleted);
    const steps = runs.flatMap((run) => run.types).filter((type) => type === EventType.ActivityTaskCompleted);
    expect(steps).toHaveLength(12);
    // No run reached the hard limit.
    for (const run of runs) expect(run.types.length).toBeLessThan(200);
  }, 60_000);
});
