import { request } from 'undici';
import type { Clock } from '#workflows/protocol';
import type { PlatformOptions } from '../options/platform.options.js';
import { startPlatform, type RunningPlatform } from '../start-platform.js';

/** The API key of namespace `alpha` in the API specs. */
export const KEY_A = 'test-key-alpha-0123456789';
/** The API key of namespace `beta` in the API specs. */
export const KEY_B = 'test-key-beta-0123456789';

/** A clock the specs move by hand: platform time stands still until they advance it. */
export class ManualClock implements Clock {
  constructor(private time = 1_700_000_000_000) {}

  now(): number {
    return this.time;
  }

  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.time += ms;
  }
}

/** A response as the specs read it. */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

/** What a spec request may set. */
export interface CallOptions {
  key?: string | null;
  body?: unknown;
  /** Sent as is, instead of `JSON.stringify(body)`. */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** A platform on port 0 with an in-memory store and keys for `alpha` and `beta`, and a client for it. */
export class PlatformTestHarness {
  private constructor(readonly platform: RunningPlatform) {}

  /** Starts the platform. */
  static async start(options: PlatformOptions = {}): Promise<PlatformTestHarness> {
    const platform = await startPlatform({
      port: 0,
      databasePath: ':memory:',
      logger: false,
      apiKeys: [
        { key: KEY_A, namespace: 'alpha' },
        { key: KEY_B, namespace: 'beta' },
      ],
      ...options,
    });
    return new PlatformTestHarness(platform);
  }

  /** Calls the API with namespace `alpha`'s key unless told otherwise. */
  async call<T = any>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const key = options.key === undefined ? KEY_A : options.key;
    if (key !== null) headers['authorization'] ??= `Bearer ${key}`;
    let payload: string | Buffer | undefined = options.rawBody;
    if (payload === undefined && options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined) headers['content-type'] ??= 'application/json';
    const response = await request(`${this.platform.url}${path}`, { method, headers, body: payload, signal: options.signal });
    const text = await response.body.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // Left as text: the spec asserts on it.
    }
    return { status: response.statusCode, body: body as T, headers: response.headers };
  }

  /** Stops the platform. */
  close(): Promise<void> {
    return this.platform.close();
  }
}

/**
 * Resolves once `condition` holds, checking after each turn of the event loop; fails after
 * `limitMs`. For server-side state a response cannot tell (a waiter registered or removed).
 */
export async function until(condition: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > limitMs) throw new Error(`timed out waiting until ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** A registration body for a worker of `wf` and `act` in deployment `blue`. */
export function registration(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    worker_name: 'test-host',
    deployment_name: 'blue',
    sdk_version: '0.1.0',
    workflows: [{ name: 'wf' }],
    activities: [{ name: 'act' }],
    max_concurrent_workflow_tasks: 4,
    max_concurrent_activity_tasks: 4,
    ...overrides,
  };
}
