import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Clock } from '#workflows/protocol';
import type { ResolvedPlatformOptions } from '../options/platform.options.js';
import { CLOCK, PLATFORM_OPTIONS, STORE } from '../platform.constants.js';
import type { Store } from '../store/store.interface.js';
import { keyDigest } from './key-digest.js';

/** Unknown digests remembered, so that a flood of wrong keys does not reach the store each time. */
const MAX_REMEMBERED_UNKNOWN = 10_000;

/**
 * API keys: stores the configured ones hashed at start and answers a key's namespace from
 * an in-memory cache of digests in front of the store. Keys are never kept in plain text.
 */
@Injectable()
export class ApiKeysService implements OnModuleInit {
  private readonly namespaces = new Map<string, string>();
  private readonly unknown = new Set<string>();

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PLATFORM_OPTIONS) private readonly options: ResolvedPlatformOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const { key, namespace } of this.options.apiKeys) {
      const digest = keyDigest(key);
      await this.store.putApiKey(digest, namespace, this.clock.now());
      this.namespaces.set(digest, namespace);
    }
  }

  /** The namespace the key opens, or `null`. */
  async namespaceFor(key: string): Promise<string | null> {
    const digest = keyDigest(key);
    const cached = this.namespaces.get(digest);
    if (cached !== undefined) return cached;
    if (this.unknown.has(digest)) return null;
    const namespace = await this.store.namespaceForKey(digest);
    if (namespace === null) {
      // Bounded: past the limit the oldest entry goes, and a key created since (by the CLI) is found again.
      if (this.unknown.size >= MAX_REMEMBERED_UNKNOWN) this.unknown.delete(this.unknown.values().next().value!);
      this.unknown.add(digest);
      return null;
    }
    this.namespaces.set(digest, namespace);
    return namespace;
  }
}
