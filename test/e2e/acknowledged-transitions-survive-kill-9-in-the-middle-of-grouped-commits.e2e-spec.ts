import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventType } from '#workflows/protocol';
import { WorkflowsClient } from '#workflows/sdk';
import { SpawnedProcess, freePort } from '../support/spawned-process.js';

const KEY = 'wf_group_commit_key';
const SIGNALS = 300;
const STARTS = 300;
/** The platform is killed once this many transitions were acknowledged: many more are in flight, in grouped commits. */
const KILL_AFTER = 150;

/**
 * Group commit (issue 11): the platform commits the writes that arrive together in one
 * transaction and answers each only after that commit. Killed with SIGKILL while hundreds of
 * signals and starts are in flight (`synchronous=FULL`, the default), it keeps every transition
 * it acknowledged, and every transition found is whole and one this client sent.
 */
describe('kill -9 of the platform in the middle of grouped commits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wf-group-commit-'));
  const processes: SpawnedProcess[] = [];
  let env: Record<string, string>;
  let url: string;
  let client: WorkflowsClient;

  const startPlatform = async (): Promise<SpawnedProcess> => {
    const platform = new SpawnedProcess('platform', 'dist/libs/platform/src/main.js', env);
    processes.push(platform);
    await platform.waitFor(/listening on/);
    return platform;
  };
  const post = async (path: string, body: unknown): Promise<Response> =>
    fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = { WORKFLOWS_PORT: String(port), WORKFLOWS_DB_PATH: join(dir, 'platform.db'), WORKFLOWS_API_KEYS: `${KEY}:grouped` };
    await startPlatform();
    client = WorkflowsClient.connect({ serverUrl: url, apiKey: KEY });
  }, 30_000);

  afterAll(async () => {
    await client?.close();
    for (const child of processes.reverse()) await child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged signal and start, each once and whole', async () => {
    // A registration is all a start and a signal need: no worker takes the tasks.
    const registered = await post('/v1/workflows/workers/register', {
      worker_name: 'registrar',
      deployment_name: 'grouped',
      sdk_version: '0.1.0',
      workflows: [{ name: 'sink', signals: [{ name: 'poke' }] }],
      activities: [],
      max_concurrent_workflow_tasks: 1,
      max_concurrent_activity_tasks: 1,
    });
    expect(registered.status).toBe(201);
    await client.start('sink', { executionId: 'target' });

    const platform = processes[0]!;
    const signaled = new Set<number>();
    const started = new Set<number>();
    let killed: Promise<unknown> | null = null;
    const acknowledged = (set: Set<number>, n: number): void => {
      set.add(n);
      if (!killed && signaled.size + started.size >= KILL_AFTER) killed = platform.kill('SIGKILL');
    };
    // Signals and starts interleaved, all at once: each group commit carries both kinds.
    const sent = Array.from({ length: Math.max(SIGNALS, STARTS) }, (_, n) => [
      post('/v1/workflows/executions/target/signals', { name: 'poke', input: { n } }).then((response) => response.ok && acknowledged(signaled, n)),
      post('/v1/workflows/sink/execute', { execution_id: `g-${n}`, input: { n } }).then((response) => response.ok && acknowledged(started, n)),
    ]).flat();
    // Requests cut off by the kill fail: those transitions were never acknowledged.
    await Promise.allSettled(sent);
    expect(killed).not.toBeNull();
    await killed;
    expect(signaled.size + started.size).toBeLessThan(SIGNALS + STARTS);
    await startPlatform();

    const history = await client.getHandle('target').history();
    const pokes = history.filter((event) => event.event_type === EventType.WorkflowExecutionSignaled);
    const found = pokes.map((event) => (event.attributes.input as { n: number }).n);
    expect(pokes.every((event) => event.attributes.signal_name === 'poke')).toBe(true);
    expect(new Set(found).size).toBe(found.length);
    expect(found.every((n) => Number.isInteger(n) && n >= 0 && n < SIGNALS)).toBe(true);
    for (const n of signaled) expect(found).toContain(n);

    const startedFound: number[] = [];
    for (let n = 0; n < STARTS; n++) {
      const response = await fetch(`${url}/v1/workflows/executions/g-${n}`, { headers: { authorization: `Bearer ${KEY}` } });
      expect([200, 404]).toContain(response.status);
      if (response.status === 404) continue;
      startedFound.push(n);
      const events = await client.getHandle(`g-${n}`).history();
      expect(events.map((event) => event.event_type)).toEqual([EventType.WorkflowExecutionStarted]);
      expect((events[0]!.attributes as { input?: unknown }).input).toEqual({ n });
    }
    for (const n of started) expect(startedFound).toContain(n);
    console.log(
      `group commit: killed after ${signaled.size} signals and ${started.size} starts were acknowledged; ` +
        `found ${found.length} signals and ${startedFound.length} starts, every acknowledged one among them`,
    );
  }, 60_000);
});
