import type { Store, WorkerSession } from '../store/store.interface.js';
import { TaskMatcher } from './task.matcher.js';

const session = (workerId: string): WorkerSession => ({
  workerId,
  namespace: 'default',
  workerName: workerId,
  deploymentName: 'd1',
  workflows: ['greet'],
  activities: [],
  openedAt: 0,
  expiresAt: Date.now() + 60_000,
});

describe('a sticky workflow task its holder does not take', () => {
  it('wakes another worker when it stops being sticky', async () => {
    const claims: string[] = [];
    const store = { claimTasks: (claim: { workerId: string }) => (claims.push(claim.workerId), Promise.resolve([])) } as unknown as Store;
    const matcher = new TaskMatcher(store, { now: () => Date.now() });
    const params = { maxWorkflowTasks: 1, maxActivityTasks: 0, waitMs: 5_000, leaseMs: 30_000, workflowTaskTimeoutMs: 10_000 };
    const holderLeaves = new AbortController();
    const holder = matcher.poll({ ...params, session: session('holder'), signal: holderLeaves.signal });
    const other = matcher.poll({ ...params, session: session('other') });
    await new Promise((resolve) => setImmediate(resolve));
    expect(claims).toEqual(['holder', 'other']);

    matcher.notify('default', [{ kind: 'workflow', name: 'greet', deploymentName: null, visibleAt: Date.now(), sticky: { workerId: 'holder', until: Date.now() + 50 } }]);
    // The holder was woken, but its poll ends before it claims (its client went away).
    holderLeaves.abort();
    await holder;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(claims).toEqual(['holder', 'other', 'other']);
    matcher.close();
    await other;
  });

  it('does not wake its holder again when it stops being sticky: the holder could always take it', async () => {
    const claims: string[] = [];
    const store = { claimTasks: (claim: { workerId: string }) => (claims.push(claim.workerId), Promise.resolve([])) } as unknown as Store;
    const matcher = new TaskMatcher(store, { now: () => Date.now() });
    const params = { maxWorkflowTasks: 1, maxActivityTasks: 0, waitMs: 5_000, leaseMs: 30_000, workflowTaskTimeoutMs: 10_000 };
    const holder = matcher.poll({ ...params, session: session('holder') });
    await new Promise((resolve) => setImmediate(resolve));
    matcher.notify('default', [{ kind: 'workflow', name: 'greet', deploymentName: null, visibleAt: Date.now(), sticky: { workerId: 'holder', until: Date.now() + 50 } }]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    // Its first claim, and the one it was woken for: no third claim at the sticky time.
    expect(claims).toEqual(['holder', 'holder']);
    matcher.close();
    await holder;
  });
});
