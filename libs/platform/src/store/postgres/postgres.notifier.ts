import pg from 'pg';
import { publishChanges } from '../store-results.js';
import type { StoreListener } from '../store.interface.js';
import { decodeNotice } from './postgres-notice.codec.js';

/** Reconnection backoff of the listening connection: doubles from the first to the last. */
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;

/** Where the notifier writes when its connection drops or comes back. */
export interface NotifierLog {
  warn(message: string): void;
  log(message: string): void;
}

/**
 * The LISTEN side of the wake-ups between platform nodes: one dedicated connection (not from
 * the pool, which would hand it to transactions) listening on the store's channel, feeding
 * every subscriber what the other nodes' transitions did. Notices this node sent itself are
 * ignored: it has already published them locally (its changes through {@link publishLocal}).
 * When the connection drops it reconnects with backoff, then asks the subscribers to look
 * again, since notices sent meanwhile are lost.
 */
export class PostgresNotifier {
  private readonly listeners = new Set<StoreListener>();
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private delayMs = RECONNECT_MIN_MS;
  private closed = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly origin: string,
    private readonly logger: NotifierLog | null,
  ) {}

  /** Connects and listens; rejects when the first connection fails. */
  async start(): Promise<void> {
    await this.connect();
  }

  /** Adds a subscriber; returns the function that removes it. */
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells the subscribers what a transaction of this node changed, once it committed. */
  publishLocal(changes: readonly [string, readonly string[]][]): void {
    publishChanges(this.listeners, changes);
  }

  /** Stops listening and reconnecting. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.config);
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.deliver(message.payload);
    });
    // Without an 'error' listener a dropped connection would crash the process.
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.delayMs = RECONNECT_MIN_MS;
  }

  private deliver(payload: string | undefined): void {
    const notice = decodeNotice(payload);
    if (!notice || notice.origin === this.origin) return;
    if (notice.tasks.length > 0 || notice.closed) {
      const outcome = { tasks: notice.tasks, ...(notice.closed ? { closed: notice.closed } : {}) };
      for (const listener of this.listeners) listener.transition(notice.namespace, outcome);
    }
    if (notice.changed) publishChanges(this.listeners, [[notice.namespace, notice.changed]]);
  }

  private lost(client: pg.Client): void {
    if (this.closed || this.client !== client) return;
    this.client = null;
    client.removeAllListeners('end');
    void client.end().catch(() => undefined);
    this.logger?.warn('Lost the connection that receives wake-ups from other platform nodes; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.timer) return;
    const delay = this.delayMs;
    this.delayMs = Math.min(RECONNECT_MAX_MS, this.delayMs * 2);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect().then(
        () => {
          if (this.closed) return;
          this.logger?.log('Receiving wake-ups from other platform nodes again');
          for (const listener of this.listeners) listener.resync();
        },
        () => this.scheduleReconnect(),
      );
    }, delay);
    this.timer.unref();
  }
}
