import { formatTaskToken, parseTaskToken } from './task.js';

describe('task tokens', () => {
  it('round-trips kind, task id and attempt', () => {
    const token = formatTaskToken({ kind: 'activity', taskId: 42, attempt: 3 });
    expect(token).toBe('a42.3');
    expect(parseTaskToken(token)).toEqual({ kind: 'activity', taskId: 42, attempt: 3 });
    expect(parseTaskToken('w7.1')).toEqual({ kind: 'workflow', taskId: 7, attempt: 1 });
  });

  it.each([undefined, 42, '', 'x1.1', 'a1', 'a1.', 'a.1', 'a1.1 ', "a1.1'; drop table tasks"])('rejects %p', (token) => {
    expect(parseTaskToken(token)).toBeNull();
  });
});
