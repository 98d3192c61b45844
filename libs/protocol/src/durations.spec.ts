import { toMilliseconds } from './durations.js';

describe('toMilliseconds', () => {
  it.each([
    [250, 250],
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5m', 90_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
  ])('reads %p as %p ms', (input, expected) => {
    expect(toMilliseconds(input as never)).toBe(expected);
  });

  it.each(['', '10', 'ten seconds', '5 weeks', '-1s'])('names the bad value %p', (input) => {
    expect(() => toMilliseconds(input as never, 'startToCloseTimeout')).toThrow(/startToCloseTimeout must look like/);
  });

  it('refuses negative numbers', () => {
    expect(() => toMilliseconds(-5)).toThrow(RangeError);
  });
});
