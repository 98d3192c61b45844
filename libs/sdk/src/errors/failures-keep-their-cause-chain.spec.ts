import { ApplicationFailure } from './application-failure.js';
import { fromFailure, toFailure } from './failure.converter.js';

describe('failure conversion', () => {
  it('keeps type, message, stack and the cause chain both ways', () => {
    const root = new TypeError('socket closed');
    const error = new ApplicationFailure('charge failed', { type: 'PaymentError', details: { code: 42 }, cause: root });
    const failure = toFailure(error);
    expect(failure).toMatchObject({
      type: 'PaymentError',
      message: 'charge failed',
      details: { code: 42 },
      cause: { type: 'TypeError', message: 'socket closed' },
    });
    expect(failure.stack).toContain('charge failed');
    const rebuilt = fromFailure(failure);
    expect(rebuilt.name).toBe('PaymentError');
    expect((rebuilt.cause as Error).name).toBe('TypeError');
    expect((rebuilt.cause as Error).message).toBe('socket closed');
  });

  it('cuts cyclic causes', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    const failure = toFailure(a);
    expect(failure.cause?.message).toBe('b');
    expect(failure.cause?.cause).toBeUndefined();
  });

  it.each([
    [null, 'null', 'null'],
    [undefined, 'ThrownUndefined', 'undefined'],
    [42, 'ThrownNumber', '42'],
    [{ reason: 'x' }, 'ThrownObject', '{"reason":"x"}'],
  ])('makes %p readable', (thrown, type, message) => {
    expect(toFailure(thrown)).toEqual({ type, message });
  });
});
