import { ConsoleLogger, Logger } from '@nestjs/common';
import { PlatformOptionsError, applyPlatformDefaults } from './options/platform.options.js';
import { PlatformEnvError, resolvePlatformOptions } from './options/platform-env.options.js';
import { startPlatform, type RunningPlatform } from './start-platform.js';

/**
 * The standalone platform (`npm run platform`): options from the environment, stops on
 * SIGINT/SIGTERM. A configuration problem is printed as a message, never as a stack trace.
 */
async function main(): Promise<void> {
  // Nest's own lines (modules, routes) only when they matter; the platform's lines go to its own logger.
  Logger.overrideLogger(['warn', 'error', 'fatal']);
  const logger = new ConsoleLogger('WorkflowsPlatform');
  let options;
  try {
    options = resolvePlatformOptions(process.env);
    applyPlatformDefaults(options);
  } catch (error) {
    if (!(error instanceof PlatformEnvError) && !(error instanceof PlatformOptionsError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  if ((options.apiKeys ?? []).length === 0) {
    logger.warn(
      'No API key in WORKFLOWS_API_KEYS: only keys already stored in the database are accepted. ' +
        'Create one with `npm run keys -- create-key --namespace <namespace>`, or set WORKFLOWS_API_KEYS=<key>:<namespace>.',
    );
  }
  const platform: RunningPlatform = await startPlatform({ ...options, logger });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: stopping`);
    platform.close().then(
      () => (process.exitCode = 0),
      (error: unknown) => {
        logger.error(`Stopping failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`The platform could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
