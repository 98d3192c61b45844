import { describe, expect, it } from '@jest/globals';
import { ErrorCode, EventType, type Command, type QueryTaskWire, type WorkflowRegistrationWire } from '#workflows/protocol';
import type { CreateQueryParams, Store, StoreListener, TransitionOutcome, WorkerSession } from '../store.interface.js';
import {
  T0,
  callerOf,
  claimOf,
  claimWorkflowTask,
  complete,
  eventTypes,
  expectCode,
  session,
  signal,
  start,
} from './conformance.fixtures.js';

const E = EventType;

/**
 * The part of the conformance suite about queries (task rows that record nothing), the change
 * feed that tells subscribers which executions changed, and the workflow definitions kept with
 * registrations.
 */
export function describeQueryConformance(
  current: () => Store,
  s: WorkerSession,
  startAndComplete: (commands: Command[]) => Promise<TransitionOutcome>,
): void {
  const query = (overrides: Partial<CreateQueryParams> = {}): CreateQueryParams => ({
    namespace: 'a',
    executionId: 'e1',
    queryName: 'status',
    input: { verbose: true },
    now: T0 + 10,
    deadlineAt: T0 + 1000,
    ...overrides,
  });
  const claimQueries = async (store: Store, at: number, worker = s) =>
    (await store.claimTasks(claimOf(worker, at, { maxActivityTasks: 0 }))).filter((task): task is QueryTaskWire => task.kind === 'query');

  describe('queries', () => {
    it("are claimed with the full history beside the run's leased workflow task, answered once, and record nothing", async () => {
      const store = current();
      await start(store, 'a', 'e1');
      const leased = await claimWorkflowTask(store, s, T0 + 1);
      const created = await store.createQueryTask(query());
      expect(created).toMatchObject({
        task: { kind: 'query', name: 'wf', deploymentName: null, visibleAt: T0 + 10 },
        execution: { executionId: 'e1', runId: 'run-a-e1' },
      });
      expect(await store.getQueryAnswer('a', created.taskId)).toEqual({ state: 'pending' });
      const [task] = await claimQueries(store, T0 + 11);
      expect(task).toMatchObject({
        kind: 'query',
        task_token: `q${created.taskId}.1`,
        execution_id: 'e1',
        run_id: 'run-a-e1',
        workflow_name: 'wf',
        query_name: 'status',
        input: { verbose: true },
        attempt: 1,
      });
      expect(task!.history.map((event) => event.event_type)).toEqual([E.WorkflowExecutionStarted]);
      expect(await store.getQueryAnswer('a', created.taskId)).toEqual({ state: 'pending' });
      await expectCode(store.answerQueryTask({ ...callerOf(s, task!, T0 + 12), workerId: 'someone-else', result: 0 }), ErrorCode.TaskTokenStale);
      expect(await store.answerQueryTask({ ...callerOf(s, task!, T0 + 12), result: { step: 1 } })).toEqual({ tasks: [] });
      expect(await store.getQueryAnswer('a', created.taskId)).toEqual({ state: 'answered', result: { step: 1 }, failure: null });
      expect(await store.getQueryAnswer('b', created.taskId)).toEqual({ state: 'gone' });
      expect(await store.answerQueryTask({ ...callerOf(s, task!, T0 + 13), result: { step: 1 } })).toEqual({ tasks: [], duplicate: true });
      expect(await eventTypes(store, 'a', 'e1')).toEqual([E.WorkflowExecutionStarted]);
      await store.completeWorkflowTask({ ...callerOf(s, leased, T0 + 14), commands: [] });
      expect(await store.purgeClosedTasks(T0 + 15, 10)).toBe(2);
      expect(await store.getQueryAnswer('a', created.taskId)).toEqual({ state: 'gone' });
    });

    it('record the failure a handler threw', async () => {
      const store = current();
      await startAndComplete([]);
      const { taskId } = await store.createQueryTask(query());
      const [task] = await claimQueries(store, T0 + 11);
      const thrown = { type: 'Error', message: 'no such state' };
      await store.answerQueryTask({ ...callerOf(s, task!, T0 + 12), failure: thrown });
      expect(await store.getQueryAnswer('a', taskId)).toEqual({ state: 'answered', result: null, failure: thrown });
    });

    it('share the workflow slots, taken before the workflow tasks', async () => {
      const store = current();
      await start(store, 'a', 'e1');
      await store.createQueryTask(query());
      const first = await store.claimTasks(claimOf(s, T0 + 11, { maxWorkflowTasks: 1 }));
      expect(first.map((task) => task.kind)).toEqual(['query']);
      expect((await store.claimTasks(claimOf(s, T0 + 11, { maxWorkflowTasks: 1 }))).map((task) => task.kind)).toEqual(['workflow']);
    });

    it('are closed unanswered by the sweep at their deadline: gone, never leased late, a late answer is stale', async () => {
      const store = current();
      await startAndComplete([]);
      const leased = await store.createQueryTask(query());
      const queued = await store.createQueryTask(query({ deadlineAt: T0 + 500 }));
      const [task] = await store.claimTasks(claimOf(s, T0 + 11, { maxWorkflowTasks: 1 }));
      expect(task!.task_token).toBe(`q${leased.taskId}.1`);
      expect(await claimQueries(store, T0 + 500)).toEqual([]);
      expect(await store.expireTimeouts(T0 + 999, 10)).toEqual({ fired: 1, released: [] });
      expect(await store.getQueryAnswer('a', queued.taskId)).toEqual({ state: 'gone' });
      expect(await store.getQueryAnswer('a', leased.taskId)).toEqual({ state: 'pending' });
      expect(await store.expireTimeouts(T0 + 1000, 10)).toEqual({ fired: 1, released: [] });
      expect(await store.getQueryAnswer('a', leased.taskId)).toEqual({ state: 'gone' });
      await expectCode(store.answerQueryTask({ ...callerOf(s, task!, T0 + 1001), result: 1 }), ErrorCode.TaskTokenStale);
      expect(await eventTypes(store, 'a', 'e1')).toEqual([E.WorkflowExecutionStarted, E.WorkflowTaskCompleted]);
    });

    it('are closed when abandoned: a later answer is stale, an answer already given stays', async () => {
      const store = current();
      await startAndComplete([]);
      const abandoned = await store.createQueryTask(query());
      const answered = await store.createQueryTask(query());
      const [first, second] = await claimQueries(store, T0 + 11);
      await store.answerQueryTask({ ...callerOf(s, second!, T0 + 12), result: 'kept' });
      await store.abandonQueryTask('a', abandoned.taskId, T0 + 13);
      await store.abandonQueryTask('a', answered.taskId, T0 + 13);
      expect(await store.getQueryAnswer('a', abandoned.taskId)).toEqual({ state: 'gone' });
      expect(await store.getQueryAnswer('a', answered.taskId)).toEqual({ state: 'answered', result: 'kept', failure: null });
      await expectCode(store.answerQueryTask({ ...callerOf(s, first!, T0 + 14), result: 'late' }), ErrorCode.TaskTokenStale);
    });

    it('are offered again, unrecorded, when their worker goes away, and keep their deadline', async () => {
      const store = current();
      await startAndComplete([]);
      await store.createQueryTask(query({ deadlineAt: s.expiresAt + 1000 }));
      await claimQueries(store, T0 + 11);
      expect(await store.expireLeases(s.expiresAt)).toEqual([{ namespace: 'a', tasks: [{ kind: 'query', name: 'wf', deploymentName: null, visibleAt: s.expiresAt }] }]);
      const other = session('a', { workerId: 'w2', expiresAt: s.expiresAt + 10_000 });
      await store.openWorkerSession(other);
      expect(await claimQueries(store, s.expiresAt + 1, other)).toMatchObject([{ attempt: 2 }]);
      expect(await eventTypes(store, 'a', 'e1')).toEqual([E.WorkflowExecutionStarted, E.WorkflowTaskCompleted]);
      expect((await store.expireTimeouts(s.expiresAt + 1000, 10)).fired).toBe(1);
    });

    it('reach closed runs, survive their run closing, and need an existing execution', async () => {
      const store = current();
      await start(store, 'a', 'e1');
      const workflowTask = await claimWorkflowTask(store, s, T0 + 1);
      const before = await store.createQueryTask(query());
      await store.completeWorkflowTask({ ...callerOf(s, workflowTask, T0 + 11), commands: [complete()] });
      const after = await store.createQueryTask(query({ now: T0 + 12 }));
      const tasks = await claimQueries(store, T0 + 13);
      expect(tasks.map((task) => task.task_token)).toEqual([`q${before.taskId}.1`, `q${after.taskId}.1`]);
      expect(tasks[1]!.history.map((event) => event.event_type).pop()).toBe(E.WorkflowExecutionCompleted);
      await expectCode(store.createQueryTask(query({ executionId: 'missing' })), ErrorCode.ExecutionNotFound);
    });
  });

  describe('the change feed', () => {
    it('tells subscribers, after the commit, which executions a transition appended to or answered a query of', async () => {
      const store = current();
      const changed: [string, string[]][] = [];
      const listener: StoreListener = {
        transition: () => undefined,
        changed: (namespace, ids) => changed.push([namespace, [...ids]]),
        resync: () => undefined,
      };
      const unsubscribe = store.subscribe(listener);
      await start(store, 'a', 'e1');
      await start(store, 'a', 'e2');
      expect(changed).toEqual([
        ['a', ['e1']],
        ['a', ['e2']],
      ]);
      changed.length = 0;
      const { taskId } = await store.createQueryTask(query());
      const [task] = await claimQueries(store, T0 + 12);
      expect(task!.task_token).toBe(`q${taskId}.1`);
      expect(changed).toEqual([]);
      await store.answerQueryTask({ ...callerOf(s, task!, T0 + 13), result: 1 });
      expect(changed).toEqual([['a', ['e1']]]);
      await expectCode(signal(store, 'a', 'missing', T0 + 14), ErrorCode.ExecutionNotFound);
      await signal(store, 'a', 'e2', T0 + 14);
      expect(changed.pop()).toEqual(['a', ['e2']]);
      unsubscribe();
      await signal(store, 'a', 'e2', T0 + 15);
      expect(changed).toEqual([['a', ['e1']]]);
    });
  });

  describe('workflow definitions', () => {
    const definition = (marker: string): WorkflowRegistrationWire => ({
      name: 'wf',
      input_schema: { type: 'object', title: marker },
      signals: [{ name: 'go', input_schema: null }],
      queries: [{ name: 'status' }],
      updates: [],
    });

    it("are kept per deployment: the most recent, or the asked deployment's", async () => {
      const store = current();
      await store.openWorkerSession(session('a', { workerId: 'b1', workflows: ['wf', 'bare'], workflowDefinitions: [definition('blue')], openedAt: T0 }));
      await store.openWorkerSession(session('a', { workerId: 'g1', deploymentName: 'green', workflowDefinitions: [definition('green')], openedAt: T0 + 5 }));
      expect(await store.listWorkflows('a', T0 + 6)).toEqual([
        { name: 'bare', deployments: ['blue'], active: true, definition: null },
        { name: 'wf', deployments: ['blue', 'green'], active: true, definition: definition('green') },
      ]);
      expect((await store.getWorkflow('a', 'wf', T0 + 6, 'blue'))?.definition).toEqual(definition('blue'));
      expect((await store.getWorkflow('a', 'wf', T0 + 6, 'red'))?.definition).toBeNull();
      expect((await store.getWorkflow('a', 'wf', T0 + 6))?.definition).toEqual(definition('green'));
      await store.openWorkerSession(session('a', { workerId: 'b2', openedAt: T0 + 10 }));
      expect((await store.getWorkflow('a', 'wf', T0 + 11))?.definition).toBeNull();
      expect((await store.getWorkflow('a', 'wf', T0 + 11, 'green'))?.definition).toEqual(definition('green'));
    });
  });
}
