import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Tester, TesterContext } from '@jest/expect-utils';
import { ErrorCode, EventType, ExecutionStatus } from '#workflows/protocol';
import type { Store } from '../store.interface.js';
import { T0, claimOf, complete, callerOf, expectCode, session, start, type StoreFactory } from './conformance.fixtures.js';
import { describeTaskConformance } from './task.conformance.js';

function isCreatedTask(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && 'kind' in value && 'visibleAt' in value && 'deploymentName' in value;
}

/** Jest equality: two created tasks are alike when all but their `taskId` is. */
function createdTasksAlikeButTheirIds(this: TesterContext, a: unknown, b: unknown, testers: Tester[]): boolean | undefined {
  if (!isCreatedTask(a) || !isCreatedTask(b) || (!('taskId' in a) && !('taskId' in b))) return undefined;
  const { taskId: _a, ...left } = a;
  const { taskId: _b, ...right } = b;
  return this.equals(left, right, testers);
}

/**
 * The behaviour every {@link Store} engine must show, as one Jest suite. An engine's spec
 * calls it with a factory of fresh, initialised stores. Time is injected, never slept.
 */
export function describeStoreConformance(name: string, factory: StoreFactory): void {
  // A created task's id is the engine's (ids differ by engine and order): tasks compare without it; the eager-dispatch tests check ids.
  expect.addEqualityTesters([createdTasksAlikeButTheirIds]);
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });
    const current = () => store;

    describe('API keys', () => {
      it('maps a digest to its namespace, re-points an existing digest, and knows no other', async () => {
        await store.putApiKey('d1', 'alpha', T0);
        expect(await store.namespaceForKey('d1')).toBe('alpha');
        await store.putApiKey('d1', 'beta', T0 + 1);
        expect(await store.namespaceForKey('d1')).toBe('beta');
        expect(await store.namespaceForKey('d2')).toBeNull();
      });
    });

    describe('worker sessions and registered workflows', () => {
      it('finds a session only in its own namespace', async () => {
        await store.openWorkerSession(session('a'));
        expect(await store.getWorkerSession('a', 'worker-a')).toEqual(session('a'));
        expect(await store.getWorkerSession('b', 'worker-a')).toBeNull();
        expect(await store.getWorkerSession('a', 'nobody')).toBeNull();
      });

      it('extends a live session only, and only in its namespace', async () => {
        await store.openWorkerSession(session('a'));
        expect(await store.touchWorkerSession('b', 'worker-a', T0 + 1, T0 + 20_000)).toBe(false);
        expect(await store.touchWorkerSession('a', 'worker-a', T0 + 1, T0 + 20_000)).toBe(true);
        expect((await store.getWorkerSession('a', 'worker-a'))?.expiresAt).toBe(T0 + 20_000);
        expect(await store.touchWorkerSession('a', 'worker-a', T0 + 20_000, T0 + 30_000)).toBe(false);
        expect(await store.touchWorkerSession('a', 'unknown', T0, T0 + 30_000)).toBe(false);
      });

      it('lists registered workflows with their deployments, active while a session lives', async () => {
        await store.openWorkerSession(session('a', { workflows: ['wf', 'other'] }));
        await store.openWorkerSession(session('a', { workerId: 'w2', deploymentName: 'green', workflows: ['wf'], expiresAt: T0 + 50_000 }));
        const workflows = await store.listWorkflows('a', T0 + 1);
        expect(workflows).toEqual([
          { name: 'other', deployments: ['blue'], active: true, definition: null },
          { name: 'wf', deployments: ['blue', 'green'], active: true, definition: null },
        ]);
        expect(await store.getWorkflow('a', 'other', T0 + 20_000)).toEqual({ name: 'other', deployments: ['blue'], active: false, definition: null });
        expect((await store.getWorkflow('a', 'wf', T0 + 20_000))?.active).toBe(true);
        expect(await store.getWorkflow('a', 'missing', T0)).toBeNull();
        expect(await store.listWorkflows('b', T0)).toEqual([]);
        expect(await store.getWorkflow('b', 'wf', T0)).toBeNull();
      });
    });

    describe('executions', () => {
      it('starts an execution with its first event and a workflow task', async () => {
        const outcome = await start(store, 'a', 'e1', T0, 'blue');
        expect(outcome.created).toBe(true);
        expect(outcome.tasks).toEqual([{ kind: 'workflow', name: 'wf', deploymentName: 'blue', visibleAt: T0 }]);
        expect(outcome.execution).toMatchObject({
          namespace: 'a',
          executionId: 'e1',
          runId: 'run-a-e1',
          workflowName: 'wf',
          deploymentName: 'blue',
          parentExecutionId: null,
          rootExecutionId: 'e1',
          status: ExecutionStatus.Running,
          input: { id: 'e1' },
          result: null,
          failure: null,
          startTime: T0,
          endTime: null,
          lastEventId: 1,
        });
        const history = await store.readHistory('a', 'e1', 0, 100);
        expect(history).toEqual([
          {
            event_id: 1,
            event_type: EventType.WorkflowExecutionStarted,
            event_timestamp: new Date(T0).toISOString(),
            attributes: { workflow_name: 'wf', deployment_name: 'blue', input: { id: 'e1' }, run_id: 'run-a-e1' },
          },
        ]);
      });

      it('answers a repeated start with the existing execution and writes nothing', async () => {
        await start(store, 'a', 'e1');
        const again = await store.startExecution({
          namespace: 'a',
          executionId: 'e1',
          runId: 'another-run',
          workflowName: 'wf',
          deploymentName: null,
          input: 'x',
          now: T0 + 5,
        });
        expect(again.created).toBe(false);
        expect(again.tasks).toEqual([]);
        expect(again.execution.runId).toBe('run-a-e1');
        expect(await store.readHistory('a', 'e1', 0, 100)).toHaveLength(1);
        await store.openWorkerSession(session('a'));
        expect(await store.claimTasks(claimOf(session('a'), T0 + 5))).toHaveLength(1);
      });

      it('keeps the same execution id apart in two namespaces', async () => {
        await start(store, 'a', 'same');
        expect((await start(store, 'b', 'same')).created).toBe(true);
        expect((await store.getExecution('a', 'same'))?.runId).toBe('run-a-same');
        expect((await store.getExecution('b', 'same'))?.runId).toBe('run-b-same');
      });

      it("hides another namespace's execution and history", async () => {
        await start(store, 'a', 'e1');
        expect(await store.getExecution('b', 'e1')).toBeNull();
        expect(await store.readHistory('b', 'e1', 0, 100)).toBeNull();
        expect(await store.getExecution('a', 'missing')).toBeNull();
        expect(await store.readHistory('a', 'missing', 0, 100)).toBeNull();
        expect((await store.listExecutions('b', {}, { pageSize: 10 })).items).toEqual([]);
      });

      it('pages history by event id', async () => {
        const s = session('a');
        await store.openWorkerSession(s);
        await start(store, 'a', 'e1');
        const task = (await store.claimTasks(claimOf(s, T0 + 1)))[0]!;
        await store.completeWorkflowTask({ ...callerOf(s, task, T0 + 2), commands: [complete('r')] });
        const first = await store.readHistory('a', 'e1', 0, 2);
        expect(first?.map((e) => e.event_id)).toEqual([1, 2]);
        const second = await store.readHistory('a', 'e1', 2, 2);
        expect(second?.map((e) => e.event_id)).toEqual([3]);
        expect(await store.readHistory('a', 'e1', 3, 2)).toEqual([]);
      });

      it('lists executions newest first, filtered, in pages that cover each once', async () => {
        for (let i = 0; i < 7; i++) await start(store, 'a', `e${i}`, T0 + (i % 3));
        await store.startExecution({ namespace: 'a', executionId: 'other', runId: 'r-other', workflowName: 'wf2', deploymentName: 'green', input: null, now: T0 + 9 });
        await start(store, 'b', 'b1', T0 + 10);
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.listExecutions('a', { workflowName: 'wf' }, { pageSize: 3, cursor });
          expect(page.items.length).toBeLessThanOrEqual(3);
          seen.push(...page.items.map((e) => e.executionId));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        expect(seen).toEqual(['e5', 'e2', 'e4', 'e1', 'e6', 'e3', 'e0']);
        expect((await store.listExecutions('a', { deploymentName: 'green' }, { pageSize: 10 })).items.map((e) => e.executionId)).toEqual(['other']);
        expect((await store.listExecutions('a', { status: ExecutionStatus.Completed }, { pageSize: 10 })).items).toEqual([]);
        expect((await store.listExecutions('a', { status: ExecutionStatus.Running }, { pageSize: 100 })).items).toHaveLength(8);
        await expectCode(store.listExecutions('a', {}, { pageSize: 3, cursor: 'not-a-cursor' }), ErrorCode.RequestInvalid);
      });
    });

    describe('tasks', () => describeTaskConformance(current));
  });
}
