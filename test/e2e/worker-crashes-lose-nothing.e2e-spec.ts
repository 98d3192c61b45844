import { performance } from 'node:perf_hooks';
import { EventType } from '#workflows/protocol';
import { WorkflowFailedError, type WorkflowsClient } from '#workflows/sdk';
import { duplicateSchedules, eventsAfterClose, recordedDuplicates } from '../support/history-checks.js';
import { E2eCluster } from '../support/e2e-cluster.js';
import type { SpawnedProcess } from '../support/spawned-process.js';

const KEY = 'wf_reliability_key';
const WORKER = 'dist/test/fixtures/reliability.worker.js';
/** Fast failure detection for the test: heartbeats every 200 ms, a session gone after 2 s. */
const SESSION_TIMEOUT_MS = 2000;
const PLATFORM_ENV = { WORKFLOWS_HEARTBEAT_INTERVAL_MS: '200', WORKFLOWS_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS) };

describe('crashed, stopped and frozen workers lose nothing (R1, R2, R3, R5, R12, R33)', () => {
  const cluster = new E2eCluster(KEY, 'reliability', WORKER);
  const { processes } = cluster;
  let client: WorkflowsClient;

  const worker = (name: string, env: Record<string, string> = {}): Promise<SpawnedProcess> => cluster.worker(name, env);
  const pick = (pattern: RegExp): Promise<{ process: SpawnedProcess; match: RegExpMatchArray }> =>
    Promise.any(processes.filter((p) => p.name.startsWith('w-')).map(async (p) => ({ process: p, match: await p.waitFor(pattern, 30_000) })));

  beforeAll(async () => {
    await cluster.start(PLATFORM_ENV);
    client = cluster.client;
  }, 30_000);

  afterAll(() => cluster.close());

  it('R1: kill -9 of a worker mid-activity: every execution completes, no activity recorded twice', async () => {
    const a = await worker('w-r1-a', { DEPLOYMENT_NAME: 'r1' });
    await worker('w-r1-b', { DEPLOYMENT_NAME: 'r1' });
    const handles = await Promise.all(
      Array.from({ length: 6 }, (_, n) =>
        client.start('steps', { input: { steps: 3, ms: 400 }, executionId: `r1-${n}`, deploymentName: 'r1' }),
      ),
    );
    await a.waitFor(/MARK work r1-\d+ step=\d attempt=1 worker=w-r1-a/);
    await a.kill('SIGKILL');
    const killedAt = performance.now();
    const { match } = await pick(/MARK work (r1-\d+) step=\d attempt=2 worker=w-r1-b/);
    const redispatchMs = performance.now() - killedAt;
    console.log(`R1: re-dispatch ${redispatchMs.toFixed(0)} ms after kill -9 (session timeout ${SESSION_TIMEOUT_MS} ms), first retried: ${match[1]}`);
    const results = await Promise.all(handles.map((handle) => handle.result()));
    expect(results.every((steps) => (steps as string[]).length === 3)).toBe(true);
    let duplicates = 0;
    for (const handle of handles) duplicates += recordedDuplicates(await handle.history());
    console.log(`R1: ${handles.length} executions completed, recorded duplicates ${duplicates}`);
    expect(duplicates).toBe(0);
    expect(redispatchMs).toBeLessThan(SESSION_TIMEOUT_MS + 1000 + 2000);
  }, 60_000);

  it('R2: the next attempt of a heartbeating activity resumes from its last heartbeat', async () => {
    await worker('w-r2-a', { DEPLOYMENT_NAME: 'r2' });
    await worker('w-r2-b', { DEPLOYMENT_NAME: 'r2' });
    const handle = await client.start('counter', { input: { to: 30, everyMs: 100 }, executionId: 'r2', deploymentName: 'r2' });
    const { process: runner } = await pick(/MARK counted r2 i=5 /);
    await runner.kill('SIGKILL');
    const killedAt = performance.now();
    await pick(/MARK count r2 attempt=2 from=\d+/);
    const restartMs = performance.now() - killedAt;
    const result = (await handle.result()) as { resumedFrom: number; attempt: number };
    console.log(`R2: attempt 2 started ${restartMs.toFixed(0)} ms after kill -9 (heartbeat timeout 1000 ms), resumed from ${result.resumedFrom}`);
    expect(result.attempt).toBe(2);
    expect(result.resumedFrom).toBeGreaterThanOrEqual(1);
    expect(restartMs).toBeLessThan(1000 + 2000);
  }, 60_000);

  it('R3: kill -9 mid-workflow-task: another worker replays and each activity is scheduled once', async () => {
    await worker('w-r3-a', { DEPLOYMENT_NAME: 'r3' });
    await worker('w-r3-b', { DEPLOYMENT_NAME: 'r3' });
    const handle = await client.start('slow-decider', { input: { steps: 3, spin: 60_000_000 }, executionId: 'r3', deploymentName: 'r3' });
    const { process: decider } = await pick(/MARK deciding r3 step=2 /);
    await decider.kill('SIGKILL');
    await handle.result();
    const history = await handle.history();
    expect(duplicateSchedules(history)).toBe(0);
    expect(history.filter((e) => e.event_type === EventType.ActivityTaskScheduled)).toHaveLength(3);
    expect(history.some((e) => e.event_type === EventType.WorkflowTaskFailed)).toBe(true);
    console.log(`R3: replayed on another worker; activities scheduled 3, duplicate schedules 0`);
  }, 60_000);

  it('R5: SIGTERM under load: the worker exits within its grace period and hands back what it did not finish at once', async () => {
    const leaving = await worker('w-r5-leaving', { WORKFLOWS_SHUTDOWN_GRACE_MS: '300', DEPLOYMENT_NAME: 'r5' });
    const handles = await Promise.all(
      Array.from({ length: 4 }, (_, n) =>
        client.start('steps', { input: { steps: 1, ms: 3000 }, executionId: `r5-${n}`, deploymentName: 'r5' }),
      ),
    );
    for (let n = 0; n < 4; n++) await leaving.waitFor(new RegExp(`MARK work r5-${n} step=1 attempt=1 worker=w-r5-leaving`));
    const signalledAt = performance.now();
    await leaving.kill('SIGTERM');
    const exitMs = performance.now() - signalledAt;
    // The released tasks wait in the queue for the next worker of the deployment.
    await worker('w-r5-staying', { DEPLOYMENT_NAME: 'r5' });
    await Promise.all(handles.map((handle) => handle.result()));
    const retried = [...leaving.text.matchAll(/MARK work (r5-\d+) step=1 attempt=1 worker=w-r5-leaving/g)].map((m) => m[1]!);
    let duplicates = 0;
    for (const handle of handles) duplicates += recordedDuplicates(await handle.history());
    console.log(`R5: exited ${exitMs.toFixed(0)} ms after SIGTERM (grace 300 ms); ${retried.length} released task(s) retried elsewhere; duplicates ${duplicates}`);
    expect(exitMs).toBeLessThan(300 + 2000);
    expect(duplicates).toBe(0);
    let handedBack = 0;
    for (const id of retried) {
      const history = await client.getHandle(id).history();
      // On a slow machine a step can end before the SIGTERM: it completed at attempt 1, nothing to hand back.
      if (history.some((e) => e.event_type === EventType.ActivityTaskCompleted && e.attributes.attempt === 1)) continue;
      handedBack++;
      const retrying = history.find((e) => e.event_type === EventType.ActivityTaskRetrying);
      expect(retrying?.attributes).toMatchObject({ failure: { type: 'WorkerShutdown' }, next_attempt_delay_ms: 0 });
    }
    expect(handedBack).toBeGreaterThan(0);
  }, 60_000);

  it('R12: a frozen worker (SIGSTOP past its session, then SIGCONT) cannot record a stale completion', async () => {
    const zombie = await worker('w-r12-zombie', { DEPLOYMENT_NAME: 'r12' });
    const handles = await Promise.all(
      Array.from({ length: 4 }, (_, n) =>
        client.start('steps', { input: { steps: 1, ms: 500 }, executionId: `r12-${n}`, deploymentName: 'r12' }),
      ),
    );
    for (let n = 0; n < 4; n++) await zombie.waitFor(new RegExp(`MARK work r12-${n} step=1 attempt=1 worker=w-r12-zombie`));
    // Frozen before its activities can finish; a stopped process's timers cannot fire.
    process.kill(zombie.pid, 'SIGSTOP');
    const healthy = await worker('w-r12-healthy', { DEPLOYMENT_NAME: 'r12' });
    for (let n = 0; n < 4; n++) await healthy.waitFor(new RegExp(`MARK work r12-${n} step=1 attempt=2 worker=w-r12-healthy`));
    process.kill(zombie.pid, 'SIGCONT');
    // The zombie's attempts finish now and try to complete with their stale tokens.
    await zombie.waitFor(/Could not report activity task|registered with .* again|registering again/, 10_000).catch(() => undefined);
    const results = (await Promise.all(handles.map((handle) => handle.result()))) as string[][];
    const staleAccepted = results.filter((steps) => steps[0]!.includes('w-r12-zombie')).length;
    console.log(`R12: stale completions accepted ${staleAccepted} of ${handles.length}`);
    expect(results.map((steps) => steps[0])).toEqual(Array.from({ length: 4 }, () => '1:w-r12-healthy:2'));
    for (const handle of handles) expect(recordedDuplicates(await handle.history())).toBe(0);
  }, 60_000);

  it('R33: activities that throw strings, null, objects and cyclic causes are recorded readably; the worker lives on', async () => {
    const seen = await client.execute('throwing', { input: ['string', 'null', 'object', 'cyclic'] });
    expect(seen).toEqual([
      { type: 'ThrownString', message: 'a plain string', cause: null },
      { type: 'null', message: 'null', cause: null },
      { type: 'ThrownObject', message: '{"code":42,"reason":"an object"}', cause: null },
      { type: 'Error', message: 'outer', cause: 'inner' },
    ]);
    const history = await client.getHandle((await client.start('steps', { input: { steps: 1, ms: 1 } })).executionId).result();
    expect(history).toHaveLength(1);
    const all = await (await fetch(`${cluster.url}/v1/workflows/runs?page_size=1000`, { headers: { authorization: `Bearer ${KEY}` } })).json();
    for (const execution of (all as { executions: { execution_id: string }[] }).executions) {
      expect(eventsAfterClose(await client.getHandle(execution.execution_id).history())).toBe(0);
    }
    console.log('R33: 4 odd throws recorded readably; worker still serving');
  }, 60_000);

  it('R36: a task that kills its worker uses up its attempts and then fails; other work keeps flowing', async () => {
    for (const name of ['w-r36-a', 'w-r36-b', 'w-r36-c']) await worker(name, { DEPLOYMENT_NAME: 'r36' });
    const poison = await client.start('poison', { executionId: 'r36-poison', deploymentName: 'r36' });
    const others = await Promise.all(
      Array.from({ length: 4 }, (_, n) => client.start('steps', { input: { steps: 2, ms: 20 }, executionId: `r36-${n}`, deploymentName: 'r36' })),
    );
    const error = (await poison.result().catch((thrown: unknown) => thrown)) as WorkflowFailedError;
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(error.failure).toMatchObject({ type: 'ActivityFailure', cause: { type: 'WorkerSessionExpired' } });
    const history = await poison.history();
    const attempts = history.filter((e) => e.event_type === EventType.ActivityTaskStarted).length;
    expect(attempts).toBe(2);
    expect(await Promise.all(others.map((handle) => handle.result()))).toHaveLength(4);
    console.log(`R36: poison activity killed ${attempts} workers, then failed after ${attempts} attempts; 4 other executions completed`);
  }, 60_000);
});
