import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  CommandType,
  EventType,
  ExecutionStatus,
  PlatformFailureType,
  type Command,
  type HistoryEvent,
  type JsonValue,
  type ParentClosePolicy,
  type WorkflowTaskWire,
} from '#workflows/protocol';
import type { Store, TransitionOutcome, WorkerSession } from '../store.interface.js';
import { T0, callerOf, claimOf, claimWorkflowTask, complete, failure, session, start } from './conformance.fixtures.js';

const E = EventType;

/** A START_CHILD_WORKFLOW command of workflow `child`, execution id `executionId`. */
function startChild(childId: number, executionId: string, policy?: ParentClosePolicy): Command {
  return {
    type: CommandType.StartChildWorkflow,
    child_id: childId,
    workflow_name: 'child',
    execution_id: executionId,
    input: { child: childId },
    ...(policy ? { parent_close_policy: policy } : {}),
  };
}

/** Every event of `a`'s execution `id` (its current run without `runId`). */
async function history(store: Store, id: string, runId?: string): Promise<HistoryEvent[]> {
  return (await store.readHistory('a', id, 0, 10_000, runId)) ?? [];
}

/**
 * The part of the conformance suite about child workflows (issue 6): a `START_CHILD_WORKFLOW`
 * starts the child in the same transaction (or records why it could not), a child's end is
 * recorded in its parent's run, and a parent's close applies each running child's policy.
 */
export function describeChildWorkflowConformance(current: () => Store, s: WorkerSession): void {
  /** The session that runs workflow `child`. */
  const c = session('a', { workerId: 'worker-child', workflows: ['child'] });
  let store: Store;
  let now: number;
  beforeEach(async () => {
    store = current();
    await store.openWorkerSession(c);
    now = T0 + 10;
  });

  /** Leases the one workflow task `who` may take and completes it with `commands`. */
  async function runTask(who: WorkerSession, commands: Command[], extra: { childStartFailures?: Map<number, ReturnType<typeof failure>> } = {}) {
    const task = await claimWorkflowTask(store, who, ++now);
    const outcome = await store.completeWorkflowTask({ ...callerOf(who, task, ++now), commands, ...extra });
    return { task, outcome };
  }

  /** Starts parent `e1` and runs its first task with `commands`. */
  async function startParent(commands: Command[], extra: { childStartFailures?: Map<number, ReturnType<typeof failure>> } = {}) {
    await start(store, 'a', 'e1');
    return runTask(s, commands, extra);
  }

  it('starts the child in the same transaction, naming its parent and root, and tells the parent it started', async () => {
    const { outcome } = await startParent([startChild(1, 'c1')]);

    expect(outcome.tasks.map((task) => [task.kind, task.name])).toEqual([
      ['workflow', 'child'],
      ['workflow', 'wf'],
    ]);
    const child = await store.getExecution('a', 'c1');
    expect(child).toMatchObject({ workflowName: 'child', status: ExecutionStatus.Running, parentExecutionId: 'e1', rootExecutionId: 'e1', input: { child: 1 } });
    const [childStarted] = await history(store, 'c1');
    expect(childStarted).toMatchObject({
      event_type: E.WorkflowExecutionStarted,
      attributes: { workflow_name: 'child', input: { child: 1 }, run_id: child!.runId, parent_execution_id: 'e1', parent_run_id: 'run-a-e1', root_execution_id: 'e1' },
    });
    const parent = await history(store, 'e1');
    expect(parent.map((event) => event.event_type)).toEqual([
      E.WorkflowExecutionStarted,
      E.WorkflowTaskCompleted,
      E.StartChildWorkflowExecutionInitiated,
      E.ChildWorkflowExecutionStarted,
    ]);
    expect(parent[3]!.attributes).toEqual({ child_id: 1, initiated_event_id: 3, execution_id: 'c1', run_id: child!.runId });
  });

  it("records the child's result, or its failure, in the parent's run and gives the parent a workflow task", async () => {
    await startParent([startChild(1, 'c1'), startChild(2, 'c2')]);
    await runTask(s, []);
    const first = await runTask(c, [complete({ sum: 3 })]);
    expect(first.outcome.closed).toEqual({ executionId: first.task.execution_id, status: ExecutionStatus.Completed });
    expect(first.outcome.tasks.map((task) => [task.kind, task.name])).toEqual([['workflow', 'wf']]);
    await runTask(c, [{ type: CommandType.FailWorkflow, failure: failure('Boom') }]);

    const closedEvents = (await history(store, 'e1')).filter((event) => event.event_type.startsWith('CHILD_WORKFLOW_EXECUTION_') && event.event_type !== E.ChildWorkflowExecutionStarted);
    const byId = new Map(closedEvents.map((event) => [(event.attributes as { execution_id: string }).execution_id, event]));
    const completedId = first.task.execution_id;
    const failedId = completedId === 'c1' ? 'c2' : 'c1';
    expect(byId.get(completedId)).toMatchObject({ event_type: E.ChildWorkflowExecutionCompleted, attributes: { result: { sum: 3 } } });
    expect(byId.get(failedId)).toMatchObject({ event_type: E.ChildWorkflowExecutionFailed, attributes: { failure: { type: 'Boom' } } });
    const started = (await history(store, 'e1')).find((event) => event.event_type === E.StartChildWorkflowExecutionInitiated && (event.attributes as { execution_id: string }).execution_id === failedId)!;
    expect(byId.get(failedId)!.attributes).toMatchObject({ initiated_event_id: started.event_id, run_id: (await store.getExecution('a', failedId))!.runId });
    expect(await claimWorkflowTask(store, s, ++now)).toMatchObject({ execution_id: 'e1' });
  });

  it('roots a grandchild at its grandparent', async () => {
    await startParent([startChild(1, 'c1')]);
    await runTask(c, [{ ...startChild(1, 'g1'), workflow_name: 'wf' } as Command]);
    expect(await store.getExecution('a', 'g1')).toMatchObject({ parentExecutionId: 'c1', rootExecutionId: 'e1' });
    expect((await history(store, 'g1'))[0]!.attributes).toMatchObject({ parent_execution_id: 'c1', root_execution_id: 'e1' });
  });

  it('records why a child could not start: the failure the caller found, or an execution id already taken', async () => {
    // A closed execution keeps its id.
    await start(store, 'a', 'taken');
    await store.terminateExecution({ namespace: 'a', executionId: 'taken', reason: null, now: ++now });
    const notFound = { type: PlatformFailureType.WorkflowNotFound, message: "child workflow 'child' is not registered", non_retryable: true };
    const { outcome } = await startParent([startChild(1, 'c1'), startChild(2, 'taken')], { childStartFailures: new Map([[1, notFound]]) });

    expect(await store.getExecution('a', 'c1')).toBeNull();
    expect(outcome.tasks.map((task) => [task.kind, task.name])).toEqual([['workflow', 'wf']]);
    const failed = (await history(store, 'e1')).filter((event) => event.event_type === E.StartChildWorkflowExecutionFailed);
    expect(failed.map((event) => event.attributes)).toEqual([
      { child_id: 1, initiated_event_id: 3, execution_id: 'c1', failure: notFound },
      {
        child_id: 2,
        initiated_event_id: 4,
        execution_id: 'taken',
        failure: expect.objectContaining({ type: PlatformFailureType.WorkflowExecutionAlreadyStarted, message: expect.stringContaining("execution 'taken' already exists") }),
      },
    ]);
    expect(await history(store, 'taken')).toHaveLength(2);
  });

  describe("a parent's close", () => {
    /** Parent e1 with running children: t (TERMINATE, with its own child tt), r (REQUEST_CANCEL) and x (ABANDON). */
    async function familyOf(): Promise<void> {
      await startParent([startChild(1, 't'), startChild(2, 'r', 'REQUEST_CANCEL'), startChild(3, 'x', 'ABANDON')]);
      // t starts its own child tt (policy TERMINATE); the child session takes t's, r's and x's tasks in turn.
      for (let i = 0; i < 3; i++) {
        const task = await claimWorkflowTask(store, c, ++now);
        const commands = task.execution_id === 't' ? [{ ...startChild(1, 'tt'), workflow_name: 'wf' } as Command] : [];
        await store.completeWorkflowTask({ ...callerOf(c, task, ++now), commands });
      }
    }

    /** Checks what the parent's close did to each child; returns r's workflow task, leased by the child session. */
    async function expectPolicyApplied(outcome: Pick<TransitionOutcome, 'tasks' | 'alsoClosed'>, parentStatus: ExecutionStatus): Promise<WorkflowTaskWire> {
      expect(outcome.alsoClosed).toEqual(
        expect.arrayContaining([
          { executionId: 't', status: ExecutionStatus.Terminated },
          { executionId: 'tt', status: ExecutionStatus.Terminated },
        ]),
      );
      expect(outcome.alsoClosed).toHaveLength(2);
      const reason = `parent execution 'e1' (run run-a-e1) closed ${parentStatus}`;
      expect((await history(store, 't')).at(-1)).toMatchObject({ event_type: E.WorkflowExecutionTerminated, attributes: { reason } });
      expect((await history(store, 'tt')).at(-1)).toMatchObject({
        event_type: E.WorkflowExecutionTerminated,
        attributes: { reason: `parent execution 't' (run ${(await store.getExecution('a', 't'))!.runId}) closed TERMINATED` },
      });
      expect((await history(store, 'r')).at(-1)).toMatchObject({ event_type: E.WorkflowExecutionCancelRequested, attributes: { reason } });
      expect(outcome.tasks).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'workflow', name: 'child' })]));
      expect(await store.getExecution('a', 'x')).toMatchObject({ status: ExecutionStatus.Running });
      expect((await history(store, 'x')).at(-1)!.event_type).toBe(E.WorkflowTaskCompleted);
      // The terminated children's own tasks are closed: nothing of them is left to claim.
      const claimable = await store.claimTasks(claimOf(c, ++now, { workflowNames: ['child', 'wf'], maxActivityTasks: 0 }));
      expect(claimable.map((task) => (task as WorkflowTaskWire).execution_id)).toEqual(['r']);
      return claimable[0] as WorkflowTaskWire;
    }

    it('terminates TERMINATE children (and theirs), asks REQUEST_CANCEL ones to cancel and leaves ABANDON ones running', async () => {
      await familyOf();
      const { outcome } = await runTask(s, [complete('done')]);
      expect(outcome.closed).toEqual({ executionId: 'e1', status: ExecutionStatus.Completed });
      await expectPolicyApplied(outcome, ExecutionStatus.Completed);
      // A child terminated by its parent's close records nothing in the closed parent.
      expect((await history(store, 'e1')).at(-1)!.event_type).toBe(E.WorkflowExecutionCompleted);
    });

    it('applies the policy when the parent is terminated', async () => {
      await familyOf();
      const outcome = await store.terminateExecution({ namespace: 'a', executionId: 'e1', reason: 'stop', now: ++now });
      await expectPolicyApplied(outcome, ExecutionStatus.Terminated);
      expect((await history(store, 'e1')).at(-1)!.event_type).toBe(E.WorkflowExecutionTerminated);
    });

    it('applies the policy to the old run when the parent continues as new; a child ending later is not told to the new run', async () => {
      await familyOf();
      const { outcome } = await runTask(s, [{ type: CommandType.ContinueAsNew, input: null }]);
      const task = await expectPolicyApplied(outcome, ExecutionStatus.ContinuedAsNew);
      await store.completeWorkflowTask({ ...callerOf(c, task, ++now), commands: [{ type: CommandType.CancelWorkflow, reason: 'asked' }] });
      expect((await history(store, 'e1')).map((event) => event.event_type)).toEqual([E.WorkflowExecutionStarted]);
    });
  });

  it("records a child's cancellation and termination with their reasons", async () => {
    await startParent([startChild(1, 'c1'), startChild(2, 'c2')]);
    await runTask(s, [{ type: CommandType.RequestCancelChildWorkflow, child_id: 1 }]);
    expect((await history(store, 'c1')).at(-1)).toMatchObject({
      event_type: E.WorkflowExecutionCancelRequested,
      attributes: { reason: "requested by parent execution 'e1'" },
    });
    const terminated = await store.terminateExecution({ namespace: 'a', executionId: 'c2', reason: 'by hand', now: ++now });
    expect(terminated.tasks.map((task) => task.name)).toEqual(['wf']);
    let task = await claimWorkflowTask(store, c, ++now);
    expect(task.execution_id).toBe('c1');
    await store.completeWorkflowTask({ ...callerOf(c, task, ++now), commands: [{ type: CommandType.CancelWorkflow, reason: 'cleaned up' }] });

    const parent = await history(store, 'e1');
    expect(parent.find((event) => event.event_type === E.ChildWorkflowExecutionCancelRequested)!.attributes).toEqual({ child_id: 1, initiated_event_id: 3, execution_id: 'c1' });
    expect(parent.find((event) => event.event_type === E.ChildWorkflowExecutionTerminated)!.attributes).toMatchObject({ execution_id: 'c2', reason: 'by hand' });
    expect(parent.find((event) => event.event_type === E.ChildWorkflowExecutionCanceled)!.attributes).toMatchObject({ execution_id: 'c1', reason: 'cleaned up' });
    // A second request, once the child ended, changes nothing in the child.
    task = await claimWorkflowTask(store, s, ++now);
    const before = (await history(store, 'c1')).length;
    await store.completeWorkflowTask({ ...callerOf(s, task, ++now), commands: [{ type: CommandType.RequestCancelChildWorkflow, child_id: 1 }] });
    expect(await history(store, 'c1')).toHaveLength(before);
  });

  it('cancels only the child the command names, not an execution that took the id it asked for', async () => {
    await startParent([startChild(1, 'x'), startChild(2, 'x')]);
    await runTask(s, [{ type: CommandType.RequestCancelChildWorkflow, child_id: 2 }]);
    expect((await history(store, 'x')).map((event) => event.event_type)).toEqual([E.WorkflowExecutionStarted]);
  });

  it('counts the children a completion starts against the hard history limit, and a close by the limit applies the policy', async () => {
    await startParent([startChild(1, 'r', 'REQUEST_CANCEL'), startChild(2, 't')]);
    await runTask(c, []);
    await runTask(c, []);
    const length = (await history(store, 'e1')).length;
    // Two command events and two child events would take the run one past the limit: it ends FAILED.
    const task = await claimWorkflowTask(store, s, ++now);
    const outcome = await store.completeWorkflowTask({
      ...callerOf(s, task, ++now),
      commands: [startChild(3, 'c3'), startChild(4, 'c4')],
      historyLimits: { warnEvents: 1000, maxEvents: length + 4 },
    });
    expect(outcome.closed).toEqual({ executionId: 'e1', status: ExecutionStatus.Failed });
    expect(await store.getExecution('a', 'c3')).toBeNull();
    expect(outcome.alsoClosed).toEqual([{ executionId: 't', status: ExecutionStatus.Terminated }]);
    expect((await history(store, 'r')).at(-1)!.event_type).toBe(E.WorkflowExecutionCancelRequested);
    expect(outcome.tasks.map((created) => [created.kind, created.name])).toEqual([['workflow', 'child']]);
  });

  it('tells the parent of a child that continued as new only when its last run ends, with that run id', async () => {
    await startParent([startChild(1, 'c1')]);
    await runTask(c, [{ type: CommandType.ContinueAsNew, input: { round: 2 } as JsonValue }]);
    const [continued] = await history(store, 'c1');
    expect(continued!.attributes).toMatchObject({ parent_execution_id: 'e1', parent_run_id: 'run-a-e1', root_execution_id: 'e1' });
    expect((await history(store, 'e1')).map((event) => event.event_type)).not.toContain(E.ChildWorkflowExecutionCompleted);
    await runTask(c, [complete('last')]);
    const completed = (await history(store, 'e1')).find((event) => event.event_type === E.ChildWorkflowExecutionCompleted)!;
    expect(completed.attributes).toMatchObject({ execution_id: 'c1', run_id: (await store.getExecution('a', 'c1'))!.runId, result: 'last' });
  });
}
