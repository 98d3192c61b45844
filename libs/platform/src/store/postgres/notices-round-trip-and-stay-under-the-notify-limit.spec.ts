import { describe, expect, it } from '@jest/globals';
import type { CreatedTask } from '../store.interface.js';
import { MAX_NOTICE_BYTES, decodeNotice, encodeNotice } from './postgres-notice.codec.js';

describe('NOTIFY notices', () => {
  it('carry every task kind, the closed execution and the changed executions, split under the limit', () => {
    const tasks: CreatedTask[] = (['workflow', 'activity', 'query', 'timer'] as const).flatMap((kind) =>
      Array.from({ length: 30 }, (_, i) => ({ kind, name: `${kind}-${i}-${'n'.repeat(100)}`, deploymentName: i % 2 ? 'blue' : null, visibleAt: i })),
    );
    const changed = Array.from({ length: 100 }, (_, i) => `execution-${i}-${'x'.repeat(200)}`);
    const payloads = encodeNotice('node', { namespace: 'a', tasks: [...tasks, tasks[0]!], closed: { executionId: 'e1', status: 'COMPLETED' }, changed });
    expect(payloads.length).toBeGreaterThan(2);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(MAX_NOTICE_BYTES);
    const decoded = payloads.map((payload) => decodeNotice(payload)!);
    expect(decoded.every((notice) => notice.origin === 'node' && notice.namespace === 'a')).toBe(true);
    expect(decoded.flatMap((notice) => notice.tasks)).toEqual([tasks[0], ...tasks]);
    expect(decoded.flatMap((notice) => notice.changed ?? [])).toEqual(changed);
    expect(decoded.filter((notice) => notice.closed)).toEqual([expect.objectContaining({ closed: { executionId: 'e1', status: 'COMPLETED' } })]);
  });

  it('carry a sticky workflow task with its worker and sticky time, apart from a plain one alike', () => {
    const plain: CreatedTask = { kind: 'workflow', name: 'wf', deploymentName: null, visibleAt: 5 };
    const sticky: CreatedTask = { ...plain, sticky: { workerId: 'worker-a', until: 5005 } };
    const [payload, ...rest] = encodeNotice('node', { namespace: 'a', tasks: [plain, sticky, sticky] });
    expect(rest).toEqual([]);
    expect(decodeNotice(payload)!.tasks).toEqual([plain, sticky, sticky]);
  });

  it('ignore what another program sends on the channel', () => {
    expect(decodeNotice('not json')).toBeNull();
    expect(decodeNotice(JSON.stringify({ hello: 'world' }))).toBeNull();
    expect(decodeNotice(undefined)).toBeNull();
  });
});
