import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * E2E specs run real processes from dist/, so the build must be current: compile once before
 * the suite (CI builds too; this keeps `npm test` self-sufficient on a fresh clone).
 */
export default function buildOnce(): void {
  const root = resolve(fileURLToPath(import.meta.url), '../../../..');
  execFileSync(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
}
