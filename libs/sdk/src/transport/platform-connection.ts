import { Logger } from '@nestjs/common';
import { startEmbeddedPlatform, type EmbeddedPlatform } from '../embedded/embedded-platform.js';
import type { ResolvedWorkflowsOptions } from '../options/workflows-options.js';
import { HttpPlatformTransport } from './http-platform.transport.js';
import { InProcessPlatformTransport } from './in-process-platform.transport.js';
import type { PlatformTransport } from './platform-transport.js';

/**
 * The worker app's link to the platform: a transport to `SERVER_URL`, or to the embedded
 * platform this app starts when no `SERVER_URL` is set (its worker protocol called in process).
 */
export class PlatformConnection {
  private constructor(
    readonly transport: PlatformTransport,
    readonly apiKey: string,
    private readonly embedded: EmbeddedPlatform | null,
  ) {}

  /** Connects as the options say, starting the embedded platform when needed. */
  static async open(options: ResolvedWorkflowsOptions): Promise<PlatformConnection> {
    const logger = new Logger('Workflows');
    if (options.serverUrl) {
      const transport = new HttpPlatformTransport({ baseUrl: options.serverUrl, apiKey: options.apiKey! });
      return new PlatformConnection(transport, options.apiKey!, null);
    }
    const embedded = await startEmbeddedPlatform(options, logger);
    logger.log(`Embedded platform API: ${embedded.url}/v1/workflows (namespace '${options.embedded.namespace}')`);
    if (embedded.generatedKey) {
      logger.log(`API key for this run: ${embedded.apiKey}  (set MISTRAL_API_KEY to keep one across restarts)`);
    }
    // The worker's own calls go straight to the platform in this process; the client API stays HTTP.
    const transport = new InProcessPlatformTransport({ baseUrl: embedded.url, apiKey: embedded.apiKey }, embedded.workerProtocol);
    return new PlatformConnection(transport, embedded.apiKey, embedded);
  }

  /** The platform's base URL. */
  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  /** Closes the transport, then the embedded platform if this app started one. */
  async close(): Promise<void> {
    await this.transport.close();
    await this.embedded?.close();
  }
}
