import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { EventType, parseTaskToken, type TaskWire } from '#workflows/protocol';
import { T0, callerOf, claimOf, complete, session, signal, start, startTimer } from '../conformance/conformance.fixtures.js';
import { describePostgres, dropSchema, testSchemaName, truncateStore } from '../conformance/postgres-test.database.js';
import type { CreatedTask, TransitionOutcome } from '../store.interface.js';
import { PostgresStore } from './postgres.store.js';

/** Two PostgresStores on one schema: two platform nodes racing for the same rows. */
describePostgres('Two platform nodes on one PostgreSQL', (url) => {
  const schema = testSchemaName();
  let a: PostgresStore;
  let b: PostgresStore;

  beforeAll(async () => {
    a = new PostgresStore({ url, schema, poolSize: 4 });
    b = new PostgresStore({ url, schema, poolSize: 4 });
    await Promise.all([a.init(), b.init()]);
  });
  beforeEach(() => truncateStore(url, schema));
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await dropSchema(url, schema);
  });

  /** Starts `count` executions e0…e{count-1} of `wf` in namespace `a`. */
  async function startMany(count: number): Promise<void> {
    for (let i = 0; i < count; i++) await start(i % 2 === 0 ? a : b, 'a', `e${i}`, T0 + i);
  }

  it('never lease one task twice when both claim at once', async () => {
    await startMany(40);
    const sa = session('a', { workerId: 'wa' });
    const sb = session('a', { workerId: 'wb' });
    await a.openWorkerSession(sa);
    await b.openWorkerSession(sb);
    const leased: TaskWire[] = [];
    const drain = async (store: PostgresStore, s: typeof sa) => {
      for (;;) {
        const tasks = await store.claimTasks(claimOf(s, T0 + 100, { maxWorkflowTasks: 3, maxActivityTasks: 0 }));
        if (tasks.length === 0) return;
        leased.push(...tasks);
      }
    };
    await Promise.all([drain(a, sa), drain(b, sb), drain(a, sa), drain(b, sb)]);
    const ids = leased.map((task) => parseTaskToken(task.task_token)!.taskId);
    expect(new Set(ids).size).toBe(40);
    expect(ids).toHaveLength(40);
  });

  it('fire each due deadline once when both sweep at once', async () => {
    await startMany(30);
    const s = session('a');
    await a.openWorkerSession(s);
    const claimed = await a.claimTasks(claimOf(s, T0 + 100, { maxWorkflowTasks: 30, workflowTaskTimeoutMs: 1000 }));
    expect(claimed).toHaveLength(30);
    let fired = 0;
    const sweep = async (store: PostgresStore) => {
      for (;;) {
        const result = await store.expireTimeouts(T0 + 5000, 4);
        fired += result.fired;
        if (result.fired === 0) return;
      }
    };
    await Promise.all([sweep(a), sweep(b), sweep(a), sweep(b)]);
    expect(fired).toBe(30);
    for (let i = 0; i < 30; i++) {
      const types = (await a.readHistory('a', `e${i}`, 0, 100))!.map((event) => event.event_type);
      expect(types).toEqual([EventType.WorkflowExecutionStarted, EventType.WorkflowTaskFailed]);
    }
  });

  it('fire each due timer once when both sweep at once, also timers due before either swept', async () => {
    await startMany(20);
    const s = session('a');
    await a.openWorkerSession(s);
    const claimed = await a.claimTasks(claimOf(s, T0 + 100, { maxWorkflowTasks: 20 }));
    for (const [i, task] of claimed.entries()) {
      await (i % 2 === 0 ? a : b).completeWorkflowTask({ ...callerOf(s, task, T0 + 101), commands: [startTimer(1, 1000)] });
    }
    let fired = 0;
    const sweep = async (store: PostgresStore) => {
      for (;;) {
        const result = await store.expireTimeouts(T0 + 60_000, 3);
        fired += result.fired;
        if (result.fired === 0) return;
      }
    };
    await Promise.all([sweep(a), sweep(b), sweep(a), sweep(b)]);
    expect(fired).toBe(20);
    for (let i = 0; i < 20; i++) {
      const types = (await a.readHistory('a', `e${i}`, 0, 100))!.map((event) => event.event_type);
      expect(types.filter((type) => type === EventType.TimerFired)).toHaveLength(1);
    }
    const later = session('a', { workerId: 'later', openedAt: T0 + 60_000, expiresAt: T0 + 70_000 });
    await b.openWorkerSession(later);
    expect(await b.claimTasks(claimOf(later, T0 + 60_001, { maxWorkflowTasks: 100 }))).toHaveLength(20);
  });

  it('leave TERMINATED the last event when terminations race completions and signals', async () => {
    await startMany(10);
    const s = session('a');
    await a.openWorkerSession(s);
    const claimed = await a.claimTasks(claimOf(s, T0 + 100, { maxWorkflowTasks: 10 }));
    const settle = (promise: Promise<unknown>) => promise.then(() => 'done', (error: { code?: string }) => error.code);
    const outcomes = await Promise.all(
      claimed.flatMap((task, i) => [
        settle(a.completeWorkflowTask({ ...callerOf(s, task, T0 + 101), commands: [startTimer(1, 10), complete()] })),
        settle(b.terminateExecution({ namespace: 'a', executionId: task.execution_id, reason: `race ${i}`, now: T0 + 101 })),
        settle(signal(i % 2 ? a : b, 'a', task.execution_id, T0 + 101)),
      ]),
    );
    expect(outcomes.filter((outcome) => !['done', 'WF_TASK_TOKEN_STALE', 'WF_EXECUTION_CLOSED'].includes(outcome!))).toEqual([]);
    const terminal = new Set<string>([EventType.WorkflowExecutionTerminated, EventType.WorkflowExecutionCompleted]);
    for (let i = 0; i < 10; i++) {
      const types = (await a.readHistory('a', `e${i}`, 0, 100))!.map((event) => event.event_type);
      expect(types.filter((type) => terminal.has(type))).toHaveLength(1);
      expect(terminal.has(types[types.length - 1]!)).toBe(true);
    }
    expect((await a.expireTimeouts(T0 + 100_000, 100)).fired).toBe(0);
  });

  it('create one execution from concurrent duplicate starts', async () => {
    const starts = Array.from({ length: 10 }, (_, i) =>
      (i % 2 === 0 ? a : b).startExecution({
        namespace: 'a',
        executionId: 'same',
        runId: `run-${i}`,
        workflowName: 'wf',
        deploymentName: null,
        input: i,
        now: T0,
      }),
    );
    const outcomes = await Promise.all(starts);
    expect(outcomes.filter((outcome) => outcome.created)).toHaveLength(1);
    expect(new Set(outcomes.map((outcome) => outcome.execution.runId)).size).toBe(1);
    expect(await a.readHistory('a', 'same', 0, 100)).toHaveLength(1);
    const s = session('a');
    await b.openWorkerSession(s);
    expect(await b.claimTasks(claimOf(s, T0 + 1))).toHaveLength(1);
  });

  it("wake the other node's listeners: tasks queued on A and an execution closed on A reach B", async () => {
    const received: { namespace: string; outcome: { tasks: readonly CreatedTask[]; closed?: TransitionOutcome['closed'] } }[] = [];
    let onReceived: () => void = () => undefined;
    const unsubscribe = b.subscribe({
      transition: (namespace, outcome) => {
        received.push({ namespace, outcome });
        onReceived();
      },
      resync: () => undefined,
    });
    const next = () => new Promise<void>((resolve) => (onReceived = resolve));
    try {
      const queued = next();
      await start(a, 'a', 'e1', T0, 'blue');
      await queued;
      expect(received).toEqual([{ namespace: 'a', outcome: { tasks: [{ kind: 'workflow', name: 'wf', deploymentName: 'blue', visibleAt: T0 }] } }]);

      const s = session('a');
      await a.openWorkerSession(s);
      const [task] = await a.claimTasks(claimOf(s, T0 + 1));
      const closed = next();
      await a.completeWorkflowTask({ ...callerOf(s, task!, T0 + 2), commands: [complete('ok')] });
      await closed;
      expect(received[1]).toEqual({ namespace: 'a', outcome: { tasks: [], closed: { executionId: 'e1', status: 'COMPLETED' } } });
    } finally {
      unsubscribe();
    }
  });

  it("tell the other node's listeners which executions changed, and their own node's at once", async () => {
    const onA: string[][] = [];
    const onB: string[][] = [];
    const transitionsOnB: unknown[] = [];
    let onChangedB: () => void = () => undefined;
    const nextChangeOnB = () => new Promise<void>((resolve) => (onChangedB = resolve));
    const unsubscribeB = b.subscribe({
      transition: (_namespace, outcome) => transitionsOnB.push(outcome),
      changed: (namespace, ids) => {
        onB.push([namespace, ...ids]);
        onChangedB();
      },
      resync: () => undefined,
    });
    const unsubscribeA = a.subscribe({ transition: () => undefined, changed: (_namespace, ids) => onA.push([...ids]), resync: () => undefined });
    try {
      const started = nextChangeOnB();
      await start(a, 'a', 'e1');
      expect(onA).toEqual([['e1']]);
      await started;
      expect(onB).toEqual([['a', 'e1']]);
      expect(transitionsOnB).toHaveLength(1);
      const s = session('a');
      await a.openWorkerSession(s);
      await a.claimTasks(claimOf(s, T0 + 1));
      // The workflow task is leased: the signal queues no task, so only the change is sent.
      const signaled = nextChangeOnB();
      expect((await signal(a, 'a', 'e1', T0 + 2)).tasks).toEqual([]);
      expect(onA).toEqual([['e1'], ['e1']]);
      await signaled;
      expect(onB).toEqual([
        ['a', 'e1'],
        ['a', 'e1'],
      ]);
      expect(transitionsOnB).toHaveLength(1);
    } finally {
      unsubscribeA();
      unsubscribeB();
    }
  });
});
