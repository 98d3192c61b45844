import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, toArray, type Observable } from 'rxjs';
import { EventType, type HistoryEvent } from '#workflows/protocol';
import { WorkflowFailedError, WorkflowsApiError, WorkflowsClient } from '#workflows/sdk';
import { eventsAfterClose } from '../support/history-checks.js';
import { SpawnedProcess, freePort, startWorkerProcess } from '../support/spawned-process.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const KEY = 'wf_interaction_key';
const WORKER = 'dist/test/fixtures/interaction.worker.js';

const count = (history: HistoryEvent[], type: string): number => history.filter((event) => event.event_type === type).length;
/** The first event of `type` in the execution's live stream: awaits the worker recording it (start() returns before). */
const firstEvent = (handle: { events$: Observable<HistoryEvent> }, type: string): Promise<HistoryEvent> =>
  firstValueFrom(handle.events$.pipe(filter((event) => event.event_type === type)));

describe('talking to running workflows, across crashes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wf-interaction-'));
  const processes: SpawnedProcess[] = [];
  let env: Record<string, string>;
  let url: string;
  let port: number;
  let platform: SpawnedProcess;
  let client: WorkflowsClient;

  const startPlatform = async (): Promise<void> => {
    platform = new SpawnedProcess('platform', 'dist/libs/platform/src/main.js', env);
    processes.push(platform);
    await platform.waitFor(/listening on/);
  };
  const startWorker = async (name: string): Promise<SpawnedProcess> => {
    const worker = await startWorkerProcess(name, url, KEY, WORKER);
    processes.push(worker);
    return worker;
  };
  /** A live worker: the one an earlier test left running, or a new one. */
  const liveWorker = async (): Promise<SpawnedProcess> =>
    processes.find((p) => p.name.startsWith('w-') && !p.exited) ?? (await startWorker('w-interaction'));

  beforeAll(async () => {
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      WORKFLOWS_PORT: String(port),
      WORKFLOWS_DB_PATH: join(dir, 'platform.db'),
      WORKFLOWS_API_KEYS: `${KEY}:interaction`,
      WORKFLOWS_HEARTBEAT_INTERVAL_MS: '200',
      WORKFLOWS_SESSION_TIMEOUT_MS: '2000',
    };
    await startPlatform();
    client = WorkflowsClient.connect({ serverUrl: url, apiKey: KEY });
  }, 30_000);

  afterAll(async () => {
    await client?.close();
    for (const child of processes.reverse()) await child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('an execution waiting on a signal, and a timer due while the platform is down, survive kill -9 of the worker and the platform', async () => {
    const worker = await startWorker('w-signal-1');
    const waiting = await client.start('approval', { executionId: 'wait-for-ann', input: { orderId: 'o-1', timeout: '1h' } });
    const sleeper = await client.start('sleeper', { executionId: 'sleep-through-downtime', input: { ms: 1500 } });
    // Both first workflow tasks are recorded before the kill: the sleeper's timer and the condition's timeout timer run.
    const [timerStarted] = await Promise.all([firstEvent(sleeper, EventType.TimerStarted), firstEvent(waiting, EventType.TimerStarted)]);
    // The worker answers from the workflow's state: it is waiting, not approved.
    expect(await waiting.query('status')).toEqual({ approvedBy: null, notes: 0 });

    await worker.kill('SIGKILL');
    await platform.kill('SIGKILL');
    // The scenario needs the timer to fall due while nothing runs: wait for its fire time, with the platform down.
    const fireAt = Date.parse((timerStarted.attributes as { fire_at: string }).fire_at);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, fireAt - Date.now()) + 50));
    await startPlatform();
    await startWorker('w-signal-2');

    expect(await sleeper.result()).toBe('woke');
    await waiting.signal('approve', { by: 'ann' });
    expect(await waiting.result()).toEqual({ approvedBy: 'ann', notes: [] });

    const sleeperHistory = await sleeper.history();
    expect(count(sleeperHistory, EventType.TimerFired)).toBe(1);
    const waitingHistory = await waiting.history();
    expect(count(waitingHistory, EventType.WorkflowExecutionSignaled)).toBe(1);
    // The condition's 1-hour timeout timer was cancelled when the signal satisfied it.
    expect(count(waitingHistory, EventType.TimerCanceled)).toBe(1);
    console.log('signal after worker + platform kill -9: delivered once; timer due during downtime: fired once');
  }, 60_000);

  it('updates run handlers that call activities and return results; queries read state; bad names and payloads are refused', async () => {
    await liveWorker();
    const handle = await client.start('approval', { executionId: 'notes', input: { orderId: 'o-2' } });
    expect(await handle.update('addNote', 'first')).toEqual({ count: 1, recorded: 'recorded first' });
    expect(await handle.update('addNote', 'second', { updateId: 'note-2' })).toEqual({ count: 2, recorded: 'recorded second' });
    // The same update id again returns the same outcome and runs nothing twice.
    expect(await handle.update('addNote', 'second', { updateId: 'note-2' })).toEqual({ count: 2, recorded: 'recorded second' });
    expect(await handle.query('status')).toEqual({ approvedBy: null, notes: 2 });

    const before = (await handle.history()).length;
    const refusals = await Promise.all([
      handle.signal('approve', { by: 42 }).catch((error: unknown) => error),
      handle.signal('reject', {}).catch((error: unknown) => error),
      handle.update('addNote', '').catch((error: unknown) => error),
      handle.query('nothing').catch((error: unknown) => error),
      client.start('approval', { input: { orderId: 7 } }).catch((error: unknown) => error),
    ]);
    expect(refusals.map((error) => [(error as WorkflowsApiError).status, (error as WorkflowsApiError).code])).toEqual([
      [422, 'WF_REQUEST_INVALID'],
      [404, 'WF_SIGNAL_NOT_FOUND'],
      [422, 'WF_REQUEST_INVALID'],
      [404, 'WF_QUERY_NOT_FOUND'],
      [422, 'WF_REQUEST_INVALID'],
    ]);
    expect((refusals[0] as WorkflowsApiError).detail).toContain('input.by');
    expect((refusals[4] as WorkflowsApiError).detail).toContain('input.orderId');
    expect((await handle.history()).length).toBe(before);

    await handle.signal('approve', { by: 'bob' });
    expect(await handle.result()).toEqual({ approvedBy: 'bob', notes: ['first', 'second'] });
    const history = await handle.history();
    expect(count(history, EventType.WorkflowExecutionUpdateAccepted)).toBe(2);
    expect(count(history, EventType.WorkflowExecutionUpdateCompleted)).toBe(2);
  }, 60_000);

  it('cancel: the running activity sees its AbortSignal, the workflow compensates and ends CANCELED; terminate ends at once', async () => {
    const worker = await liveWorker();
    const handle = await client.start('compensating', { executionId: 'to-cancel', input: 'c-1' });
    await worker.waitFor(/MARK longRunning c-1 started/);
    await handle.cancel('customer left');
    await worker.waitFor(/MARK longRunning c-1 aborted: CancelledFailure: The workflow cancelled this activity/);
    const error = await handle.result().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).execution.status).toBe('CANCELED');
    const history = await handle.history();
    const types = history.map((event) => event.event_type);
    expect(types).toEqual(
      expect.arrayContaining([
        EventType.WorkflowExecutionCancelRequested,
        EventType.ActivityTaskCancelRequested,
        EventType.ActivityTaskCanceled,
        EventType.WorkflowExecutionCanceled,
      ]),
    );
    expect(history.some((event) => event.event_type === EventType.ActivityTaskScheduled && event.attributes.activity_name === 'undo')).toBe(true);
    await expect(handle.cancel()).rejects.toMatchObject({ status: 409, code: 'WF_EXECUTION_CLOSED' });

    const terminated = await client.start('approval', { executionId: 'to-terminate', input: { orderId: 'o-3' } });
    await terminated.terminate('wrong order');
    expect((await terminated.describe()).status).toBe('TERMINATED');
    await expect(terminated.signal('approve', { by: 'ann' })).rejects.toMatchObject({ status: 409, code: 'WF_EXECUTION_CLOSED' });
    const terminatedHistory = await terminated.history();
    expect(terminatedHistory.at(-1)).toMatchObject({ event_type: EventType.WorkflowExecutionTerminated, attributes: { reason: 'wrong order' } });
    expect(eventsAfterClose(terminatedHistory)).toBe(0);
  }, 60_000);

  it('the live event stream resumes after a dropped connection without gaps or duplicates', async () => {
    await liveWorker();
    const proxy = await TcpProxy.start('127.0.0.1', port);
    const viaProxy = WorkflowsClient.connect({ serverUrl: `http://127.0.0.1:${proxy.port}`, apiKey: KEY });
    try {
      const handle = await client.start('approval', { executionId: 'streamed', input: { orderId: 'o-4' } });
      const received: HistoryEvent[] = [];
      let cut = false;
      const all = firstValueFrom(viaProxy.getHandle('streamed').events$.pipe(toArray()));
      const firstTaskDone = new Promise<void>((resolve) => {
        const subscription = viaProxy.getHandle('streamed').events$.subscribe((event) => {
          received.push(event);
          if (event.event_type === EventType.TimerStarted && !cut) {
            cut = true;
            subscription.unsubscribe();
            resolve();
          }
        });
      });
      await firstTaskDone;
      // Drop every connection through the proxy, append events while it is down, then let the stream resume.
      await proxy.down();
      await handle.update('addNote', 'while the stream was down');
      await proxy.up();
      await handle.signal('approve', { by: 'carol' });
      const events = await all;
      expect(events.map((event) => event.event_id)).toEqual(events.map((_, index) => index + 1));
      expect(events.at(-1)!.event_type).toBe(EventType.WorkflowExecutionCompleted);
      expect(events).toEqual(await handle.history());
      // Resuming from a given event id yields exactly the rest.
      const rest = await firstValueFrom(viaProxy.getHandle('streamed').eventsAfter(3).pipe(toArray()));
      expect(rest.map((event) => event.event_id)).toEqual(events.slice(3).map((event) => event.event_id));
      console.log(`SSE: ${events.length} events across a dropped connection, no gaps, no duplicates`);
    } finally {
      await viaProxy.close();
      await proxy.down();
    }
  }, 60_000);
});
