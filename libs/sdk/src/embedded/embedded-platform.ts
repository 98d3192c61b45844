import { randomBytes } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import type { ResolvedWorkflowsOptions } from '../options/workflows-options.js';
import type { InProcessWorkerPort } from '../transport/in-process-platform.transport.js';

/** The platform running inside the worker app's process. */
export interface EmbeddedPlatform {
  url: string;
  apiKey: string;
  /** True when the key was generated because none was configured. */
  generatedKey: boolean;
  /** The worker protocol, called in this process (the worker needs no loopback HTTP for its tasks). */
  workerProtocol: InProcessWorkerPort;
  close(): Promise<void>;
}

/**
 * Starts the platform in this process (SQLite, 127.0.0.1) for a worker app with no
 * `SERVER_URL`. The configured key maps to the development namespace; with none, a key is
 * generated for this run. This is the one place the SDK imports the platform, and only when it
 * starts: a worker of a remote platform (and each workflow thread) never loads it.
 */
export async function startEmbeddedPlatform(options: ResolvedWorkflowsOptions, logger: LoggerService): Promise<EmbeddedPlatform> {
  const generatedKey = options.apiKey === null;
  const apiKey = options.apiKey ?? `wf_${randomBytes(24).toString('base64url')}`;
  const { host, port, databasePath, namespace } = options.embedded;
  const { InProcessWorkerProtocol, startPlatform } = await import('#workflows/platform');
  const platform = await startPlatform({
    host,
    port,
    databasePath,
    apiKeys: [{ key: apiKey, namespace }],
    logger,
  });
  try {
    const workerProtocol = await InProcessWorkerProtocol.open(platform.app, apiKey);
    return { url: platform.url, apiKey, generatedKey, workerProtocol, close: () => platform.close() };
  } catch (error) {
    await platform.close();
    throw error;
  }
}
