/** A duration: milliseconds as a number, or a string such as `'500ms'`, `'30s'`, `'5m'`, `'1h'`, `'7d'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** Converts a {@link Duration} to whole milliseconds; throws a `RangeError` naming the bad value. */
export function toMilliseconds(duration: Duration | string, what = 'duration'): number {
  if (typeof duration === 'number') {
    if (!Number.isFinite(duration) || duration < 0) throw new RangeError(`${what} must be a non-negative number of milliseconds, got ${duration}`);
    return Math.round(duration);
  }
  const match = PATTERN.exec(String(duration).trim());
  if (!match) throw new RangeError(`${what} must look like '500ms', '30s', '5m', '1h' or '7d', got '${duration}'`);
  return Math.round(Number(match[1]) * UNIT_MS[match[2]!]!);
}
