import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { EventType } from '#workflows/protocol';
import { WorkflowsClient } from '#workflows/sdk';
import { SpawnedProcess, freePort, startWorkerProcess } from '../support/spawned-process.js';

const KEY = 'wf_children_key';
const WORKER = 'dist/test/fixtures/children.worker.js';
const ITEMS = ['apple', 'pear', 'plum'];

/**
 * R49 with children: the parent runs on one worker process, its children on another (the only
 * one that registered their workflow). While the children wait, the children's worker and the
 * platform are killed with SIGKILL; after both restart, the children resume by replay on the
 * new worker process and the parent gets every result, each activity having run once.
 */
describe('a parent and its children survive the crash of the platform and of the children’s worker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wf-children-'));
  const processes: SpawnedProcess[] = [];
  let port: number;
  let url: string;
  let client: WorkflowsClient;

  const startPlatform = async (): Promise<SpawnedProcess> => {
    const platform = new SpawnedProcess('platform', 'dist/libs/platform/src/main.js', {
      WORKFLOWS_PORT: String(port),
      WORKFLOWS_DB_PATH: join(dir, 'platform.db'),
      WORKFLOWS_API_KEYS: `${KEY}:children`,
    });
    processes.push(platform);
    await platform.waitFor(/listening on/);
    return platform;
  };
  const startPacker = async (name: string): Promise<SpawnedProcess> => {
    const worker = await startWorkerProcess(name, url, KEY, WORKER, { CHILDREN_ROLE: 'packer' });
    processes.push(worker);
    return worker;
  };

  beforeAll(async () => {
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    await startPlatform();
    processes.push(await startWorkerProcess('w-parent', url, KEY, WORKER, { CHILDREN_ROLE: 'parent' }));
    client = WorkflowsClient.connect({ serverUrl: url, apiKey: KEY });
  }, 30_000);

  afterAll(async () => {
    await client?.close();
    for (const child of processes.reverse()) await child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes the waiting children on a new worker process and completes the parent with every result', async () => {
    const packer = await startPacker('w-packer-1');
    const parent = await client.start('fan-out', { executionId: 'fan-1', input: { items: ITEMS } });
    // The parent started its three children (they exist from then on)...
    await firstValueFrom(
      parent.events$.pipe(
        filter((event) => event.event_type === EventType.ChildWorkflowExecutionStarted),
        take(ITEMS.length),
        toArray(),
      ),
    );
    // ...and each child has answered its first workflow task: it waits for its signal.
    const children = ITEMS.map((item) => client.getHandle(`fan-1-${item}`));
    for (const child of children) {
      await firstValueFrom(child.events$.pipe(filter((event) => event.event_type === EventType.WorkflowTaskCompleted)));
    }

    const platform = processes.find((process) => process.name === 'platform')!;
    expect(await packer.kill('SIGKILL')).toBe('SIGKILL');
    expect(await platform.kill('SIGKILL')).toBe('SIGKILL');
    await startPlatform();
    await startPacker('w-packer-2');

    for (const child of children) await child.signal('proceed');
    expect(await parent.result()).toEqual(ITEMS.map((item) => `packed ${item}`));

    const parentTypes = (await parent.history()).map((event) => event.event_type);
    expect(parentTypes.filter((type) => type === EventType.ChildWorkflowExecutionStarted)).toHaveLength(3);
    expect(parentTypes.filter((type) => type === EventType.ChildWorkflowExecutionCompleted)).toHaveLength(3);
    for (const child of children) {
      const execution = await child.describe();
      expect(execution).toMatchObject({ status: 'COMPLETED', parent_execution_id: 'fan-1', root_execution_id: 'fan-1' });
      expect(execution.result).toMatchObject({ parent: 'fan-1', root: 'fan-1' });
      const events = await child.history();
      expect(events.filter((event) => event.event_type === EventType.ActivityTaskCompleted)).toHaveLength(1);
      // The child's tasks after the crash ran on the new worker process.
      const completedBy = events.filter((event) => event.event_type === EventType.WorkflowTaskCompleted).map((event) => (event.attributes as { worker_name: string }).worker_name);
      expect(completedBy[0]).toBe('w-packer-1');
      expect(completedBy.at(-1)).toBe('w-packer-2');
    }
  }, 60_000);
});
