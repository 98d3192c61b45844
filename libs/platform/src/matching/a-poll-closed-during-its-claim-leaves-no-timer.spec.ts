import { describe, expect, it } from '@jest/globals';
import { TaskWaiter } from './task-waiter.js';

const timers = (): number => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

describe('a poll woken or closed while its claim commits', () => {
  it('arms no wait timer once it has ended (a left-over timer would hold a stopping platform for the whole wait)', async () => {
    const waiter = new TaskWaiter({
      session: { workerId: 'w', expiresAt: Number.MAX_SAFE_INTEGER },
      deploymentName: 'blue',
      workflowNames: new Set(['wf']),
      activityNames: new Set(),
      maxWorkflowTasks: 1,
      maxActivityTasks: 0,
    });
    const before = timers();
    waiter.settle('closed');
    waiter.expireAfter(60_000);
    expect(timers()).toBe(before);
    await expect(waiter.done).resolves.toBe('closed');
  });
});
