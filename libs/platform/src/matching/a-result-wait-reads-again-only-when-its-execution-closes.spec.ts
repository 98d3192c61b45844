import { ExecutionWaiters } from './execution.waiters.js';

describe('ExecutionWaiters', () => {
  it('re-reads a close-only wait at a close, never at the events recorded before it', async () => {
    const waiters = new ExecutionWaiters();
    let reads = 0;
    let closed = false;
    const wait = waiters.waitFor('ns', 'e1', { timeoutMs: 5_000, wakeOn: 'close' }, async () => {
      reads++;
      return closed;
    });
    await Promise.resolve();
    for (let i = 0; i < 5; i++) waiters.notify('ns', 'e1', 'change');
    expect(reads).toBe(1);
    closed = true;
    waiters.notify('ns', 'e1', 'close');
    await expect(wait).resolves.toBe('ready');
    expect(reads).toBe(2);
    waiters.close();
  });

  it('re-reads an ordinary wait at every change', async () => {
    const waiters = new ExecutionWaiters();
    let reads = 0;
    const wait = waiters.waitFor('ns', 'e1', { timeoutMs: 5_000 }, async () => ++reads >= 3);
    await Promise.resolve();
    waiters.notify('ns', 'e1', 'change');
    await new Promise((resolve) => setImmediate(resolve));
    waiters.notify('ns', 'e1', 'change');
    await expect(wait).resolves.toBe('ready');
    waiters.close();
  });
});
