import { fileURLToPath } from 'node:url';
import type { WorkflowSource } from './workflow-thread.messages.js';

/** A registered workflow and the module its class was defined in (`null` when unknown). */
export interface WorkflowClassSite {
  name: string;
  moduleUrl: string | null;
}

/** What decides whether a thread can import the workflow modules: the process's flags and entry script. */
export interface ProcessFacts {
  /** `process.execArgv`. */
  execArgv: readonly string[];
  /** `NODE_OPTIONS`, which threads inherit too. */
  nodeOptions: string;
  /** The URLs the entry script (`process.argv[1]`) is loaded under. */
  entryUrls: readonly string[];
}

/**
 * Where workflow code runs: in `threads` worker threads that import `workflows`, or in this
 * process (no deadlock detection), with the reason as one sentence; `expected` is false when the
 * user should act on it.
 */
export type WorkflowCodePlan = { threads: number; workflows: WorkflowSource[] } | { inProcess: string; expected: boolean };

/** Loaders that let Node import TypeScript sources (in threads too, since they inherit the flags). */
const TYPESCRIPT_LOADER = /\b(tsx|ts-node|swc-node|esbuild-register|jiti)\b|--experimental-(strip|transform)-types/;
const TYPESCRIPT_SOURCE = /\.[mc]?ts$/;

/** Decides where workflow code runs. Pure: reads only its arguments. */
export function planWorkflowThreads(threads: number, workflows: readonly WorkflowClassSite[], facts: ProcessFacts): WorkflowCodePlan {
  if (threads === 0) return { inProcess: 'workflowThreads (WORKFLOWS_WORKFLOW_THREADS) is 0', expected: true };
  const hasLoader = TYPESCRIPT_LOADER.test([...facts.execArgv, facts.nodeOptions].join(' '));
  const sources: WorkflowSource[] = [];
  for (const { name, moduleUrl } of workflows) {
    if (moduleUrl === null) {
      return { inProcess: `the module that defines workflow '${name}' is unknown (its @Workflow() call site was not captured)`, expected: false };
    }
    const where = displayPath(moduleUrl);
    if (TYPESCRIPT_SOURCE.test(moduleUrl.replace(/[?#].*$/, '')) && !hasLoader) {
      return {
        inProcess: `workflow '${name}' is defined in a TypeScript source (${where}) that a thread cannot import without a TypeScript loader (Jest, say, runs sources in its own VM)`,
        expected: true,
      };
    }
    if (facts.entryUrls.includes(moduleUrl)) {
      return {
        inProcess: `workflow '${name}' is defined in the entry script (${where}): a thread importing it would start the app again; define it in a module of its own`,
        expected: false,
      };
    }
    sources.push({ name, moduleUrl });
  }
  return { threads, workflows: sources };
}

/**
 * The thread a task goes to: `preferred` (the thread that answered the run's last task and holds
 * it in memory) when it is idle, else the first idle thread (the run replays there), else none:
 * the task waits for the first thread that frees up.
 */
export function chooseThread(idle: readonly boolean[], preferred: number | undefined): number | null {
  if (preferred !== undefined && idle[preferred]) return preferred;
  const first = idle.indexOf(true);
  return first < 0 ? null : first;
}

function displayPath(moduleUrl: string): string {
  try {
    return fileURLToPath(moduleUrl);
  } catch {
    return moduleUrl;
  }
}
