import type { Logger } from '@nestjs/common';
import { realpathSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Failure, QueryTaskWire, WorkflowTaskWire } from '#workflows/protocol';
import { workflowModuleUrlOf } from '../decorators/workflow-source.js';
import type { WorkflowRegistry } from '../discovery/workflow-registry.js';
import { DeadlockError } from '../errors/deadlock.error.js';
import type { ResolvedWorkflowsOptions } from '../options/workflows-options.js';
import type { LocalActivityOutcome } from '../runtime/local-activity.js';
import type { FromWorkflowThread, ToWorkflowThread, WorkflowSource, WorkflowThreadData } from './workflow-thread.messages.js';
import { chooseThread, planWorkflowThreads, type ProcessFacts } from './workflow-threads.plan.js';
import type { LocalResumeOutcome, QueryTaskOutcome, WorkflowTaskExecutor, WorkflowTaskOutcome } from './workflow-task.executor.js';

/** What runs workflow and query tasks: the in-process executor, or the threads. */
export interface WorkflowTaskRunner extends Pick<WorkflowTaskExecutor, 'execute' | 'executeQuery'> {
  /** Goes on with a workflow task that answered `localActivities`, with their outcomes. */
  resumeLocal(task: WorkflowTaskWire, outcomes: LocalActivityOutcome[]): Promise<LocalResumeOutcome>;
}

type Outcome = WorkflowTaskOutcome | QueryTaskOutcome;

/** A task waiting for a thread, or running on one. */
interface Job {
  message: ToWorkflowThread;
  resolve: (outcome: Outcome) => void;
  /** The thread the job must run on: the one whose run waits for these local activity outcomes. */
  pinned?: Slot;
}

/** One thread's place in the pool; its `worker` changes when the thread is replaced. */
interface Slot {
  index: number;
  worker: Worker;
  progress: Int32Array;
  state: 'starting' | 'idle' | 'busy';
  /** The running task, the progress count last seen, and when it last changed. */
  running: { job: Job; turns: number; turnAt: number } | null;
}

/** Backoff of the replacement of a thread whose predecessors kept failing (it starts at once the first time). */
const RESTART_BACKOFF_MS = { first: 500, max: 30_000 };

/**
 * Runs workflow code in worker threads, one task at a time per thread, each with its own
 * sticky cache. A workflow task goes to the thread that answered its run's last task when that
 * one is idle, else to any idle thread, else it waits for the first that frees up. A thread whose
 * event loop does not turn for `deadlockTimeoutMs` while it runs a task (its code loops or
 * blocks) is terminated and replaced, and the task fails with a {@link DeadlockError}; a thread
 * that crashes is replaced too. The worker process stays up throughout.
 */
export class WorkflowThreads implements WorkflowTaskRunner {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  /** Which thread answered a run's last task (least recently used first), for the next task of the run. */
  private readonly holders = new Map<string, Slot>();
  /** The thread holding each run that waits, in the middle of its workflow task, for its local activities: by the task's token. */
  private readonly suspendedOn = new Map<string, Slot>();
  private nextId = 1;
  private watchdog: NodeJS.Timeout | null = null;
  private readonly restarts = new Set<NodeJS.Timeout>();
  /** Per slot, how many of its threads in a row died idle or failed to start. */
  private readonly failuresInARow: number[] = [];
  private closed = false;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly workflows: WorkflowSource[],
    private readonly options: Pick<ResolvedWorkflowsOptions, 'workflowThreads' | 'deadlockTimeoutMs' | 'maxCachedWorkflows'>,
    private readonly logger: Logger,
  ) {}

  /**
   * Starts the threads that run the registry's workflows, or returns `null` when workflow code
   * runs in this process (no threads configured, a module a thread cannot import, a thread that
   * failed to start). Logs one line saying which, and why.
   */
  static async open(registry: WorkflowRegistry, options: ResolvedWorkflowsOptions, logger: Logger): Promise<WorkflowThreads | null> {
    const sites = [...registry.workflows.values()].map((definition) => ({ name: definition.name, moduleUrl: workflowModuleUrlOf(definition.metatype) }));
    const plan = planWorkflowThreads(options.workflowThreads, sites, processFacts());
    const inProcess = (reason: string, expected: boolean): null => {
      const line = `Workflow code runs on the main thread, without deadlock detection: ${reason}`;
      if (expected) logger.log(line);
      else logger.warn(line);
      return null;
    };
    if ('inProcess' in plan) return inProcess(plan.inProcess, plan.expected);
    const threads = new WorkflowThreads(plan.workflows, options, logger);
    try {
      await Promise.all(Array.from({ length: plan.threads }, (_, index) => threads.startSlot(index)));
    } catch (error) {
      await threads.close();
      return inProcess(`a workflow thread could not start: ${(error as Error).message}`, false);
    }
    logger.log(
      `Workflow code runs in ${plan.threads} worker thread(s); a workflow task whose code does not yield within ` +
        `${options.deadlockTimeoutMs} ms fails with DeadlockError`,
    );
    return threads;
  }

  /** Runs a workflow task on a thread; never throws. */
  execute(task: WorkflowTaskWire): Promise<WorkflowTaskOutcome> {
    return this.submit({ id: this.nextId++, kind: 'workflow', task }) as Promise<WorkflowTaskOutcome>;
  }

  /** Goes on with a workflow task on the thread whose run waits for these local activity outcomes; never throws. */
  resumeLocal(task: WorkflowTaskWire, outcomes: LocalActivityOutcome[]): Promise<LocalResumeOutcome> {
    const slot = this.suspendedOn.get(task.task_token);
    this.suspendedOn.delete(task.task_token);
    if (this.closed) return Promise.resolve({ failure: { type: 'WorkerShutdown', message: 'The worker is shutting down' } });
    if (!slot) return Promise.resolve({ failure: runLost(task.run_id) });
    const { run_id, task_token, workflow_name, execution_id } = task;
    const message: ToWorkflowThread = { id: this.nextId++, kind: 'local', task: { run_id, task_token, workflow_name, execution_id }, outcomes };
    return new Promise((resolve) => {
      this.queue.push({ message, resolve: resolve as (outcome: Outcome) => void, pinned: slot });
      this.pump();
    });
  }

  /** Answers a query task on a thread; never throws. */
  executeQuery(task: QueryTaskWire): Promise<QueryTaskOutcome> {
    return this.submit({ id: this.nextId++, kind: 'query', task }) as Promise<QueryTaskOutcome>;
  }

  /** Terminates every thread; tasks still running or waiting get a retryable failure. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.terminateAll();
    return this.closing;
  }

  private async terminateAll(): Promise<void> {
    this.closed = true;
    this.disarmWatchdog();
    for (const timer of this.restarts) clearTimeout(timer);
    this.restarts.clear();
    const shutdown: Failure = { type: 'WorkerShutdown', message: 'The worker shut down before this task finished' };
    for (const job of this.queue.splice(0)) job.resolve({ failure: shutdown });
    await Promise.all(
      this.slots.map((slot) => {
        slot.running?.job.resolve({ failure: shutdown });
        slot.running = null;
        return slot.worker.terminate();
      }),
    );
  }

  private submit(message: ToWorkflowThread): Promise<Outcome> {
    if (this.closed) return Promise.resolve({ failure: { type: 'WorkerShutdown', message: 'The worker is shutting down' } });
    return new Promise((resolve) => {
      this.queue.push({ message, resolve });
      this.pump();
    });
  }

  /**
   * Gives waiting jobs to idle threads: first those that go on with a task on their own thread
   * (local activity outcomes), then the others, first come first served.
   */
  private pump(): void {
    for (let i = 0; i < this.queue.length; ) {
      const pinned = this.queue[i]!.pinned;
      if (pinned?.state === 'idle') this.run(pinned, this.queue.splice(i, 1)[0]!);
      else i++;
    }
    for (let i = 0; i < this.queue.length; ) {
      const next = this.queue[i]!;
      if (next.pinned) {
        i++;
        continue;
      }
      const holder = next.message.kind === 'workflow' ? this.holders.get(next.message.task.run_id) : undefined;
      const index = chooseThread(
        this.slots.map((slot) => slot.state === 'idle'),
        holder?.index,
      );
      if (index === null) return;
      this.queue.splice(i, 1);
      this.run(this.slots[index]!, next);
    }
  }

  private run(slot: Slot, job: Job): void {
    slot.state = 'busy';
    slot.running = { job, turns: Atomics.load(slot.progress, 0), turnAt: performance.now() };
    slot.worker.postMessage(job.message);
    this.armWatchdog();
  }

  /** Starts the thread of `index` (again, after a deadlock or a crash); resolves once it is ready to take tasks. */
  private startSlot(index: number): Promise<void> {
    const progress = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    const data: WorkflowThreadData = {
      workflows: this.workflows,
      maxCachedWorkflows: Math.ceil(this.options.maxCachedWorkflows / this.options.workflowThreads),
      progress,
    };
    const worker = new Worker(THREAD_ENTRY, { workerData: data });
    const slot: Slot = { index, worker, progress: new Int32Array(progress), state: 'starting', running: null };
    this.slots[index] = slot;
    return new Promise((resolve, reject) => {
      let lastError: unknown = null;
      worker.on('message', (message: FromWorkflowThread) => {
        if (message.kind === 'ready') {
          slot.state = 'idle';
          resolve();
          this.pump();
        } else if (message.kind === 'failed') {
          reject(new Error(message.reason));
          void worker.terminate();
        } else this.finish(slot, message.id, message.outcome);
      });
      worker.on('error', (error) => (lastError = error));
      worker.on('exit', (code) => {
        if (slot.state === 'starting') reject(new Error(describeExit(code, lastError)));
        // A thread this pool terminated (deadlock, shutdown) or replaced is not a crash.
        else if (!this.closed && this.slots[index] === slot && worker === slot.worker) this.crashed(slot, describeExit(code, lastError));
      });
    });
  }

  private finish(slot: Slot, id: number, outcome: Outcome): void {
    const running = slot.running;
    if (!running || running.job.message.id !== id) return;
    slot.running = null;
    slot.state = 'idle';
    this.failuresInARow[slot.index] = 0;
    const { message } = running.job;
    if (message.kind !== 'query') {
      this.recordHolder(message.task.run_id, 'failure' in outcome ? null : slot);
      if ('localActivities' in outcome) this.suspendedOn.set(message.task.task_token, slot);
    }
    running.job.resolve(outcome);
    this.pump();
  }

  private recordHolder(runId: string, slot: Slot | null): void {
    this.holders.delete(runId);
    if (slot === null || this.options.maxCachedWorkflows === 0) return;
    this.holders.set(runId, slot);
    if (this.holders.size > this.options.maxCachedWorkflows) this.holders.delete(this.holders.keys().next().value!);
  }

  /** Checks every busy thread: one whose event loop has not turned for the deadlock timeout is stuck in workflow code. */
  private watch(): void {
    const now = performance.now();
    for (const slot of this.slots) {
      const running = slot.running;
      if (!running) continue;
      const turns = Atomics.load(slot.progress, 0);
      if (turns !== running.turns) {
        running.turns = turns;
        running.turnAt = now;
      } else if (now - running.turnAt >= this.options.deadlockTimeoutMs) {
        const { task } = running.job.message;
        const error = new DeadlockError(task.workflow_name, task.execution_id, this.options.deadlockTimeoutMs);
        this.replace(slot, { type: error.name, message: error.message });
      }
    }
    if (this.slots.every((slot) => !slot.running)) this.disarmWatchdog();
  }

  /** A thread exited on its own (an uncaught error in workflow code, `process.exit()`): its task is retried later. */
  private crashed(slot: Slot, reason: string): void {
    this.logger.warn(`Workflow thread ${slot.index + 1} ${reason}; starting another`);
    this.replace(slot, { type: 'WorkflowThreadExited', message: `The workflow thread running this task ${reason}; the task is retried` });
  }

  /** Terminates a slot's thread, answers its task with `failure`, and starts another thread in its place. */
  private replace(slot: Slot, failure: Failure): void {
    const running = slot.running;
    slot.running = null;
    slot.state = 'starting';
    void slot.worker.terminate();
    for (const [runId, holder] of this.holders) if (holder === slot) this.holders.delete(runId);
    // Runs that waited on this thread for their local activities are gone with it: their tasks are retried.
    for (const [token, holder] of this.suspendedOn) if (holder === slot) this.suspendedOn.delete(token);
    for (const job of this.queue.filter((queued) => queued.pinned === slot)) {
      this.queue.splice(this.queue.indexOf(job), 1);
      job.resolve({ failure: runLost(job.message.task.run_id) });
    }
    running?.job.resolve({ failure });
    // A thread stopped for its task's sake starts again at once; one that died idle may die again as it starts.
    const failuresInARow = running ? 0 : (this.failuresInARow[slot.index] ?? 0) + 1;
    this.failuresInARow[slot.index] = failuresInARow;
    this.restart(slot.index, failuresInARow);
  }

  /** Starts a thread in place of the one of `index`: at once the first time, then ever more slowly while its replacements keep failing. */
  private restart(index: number, failuresInARow: number): void {
    if (this.closed) return;
    const start = (): void => {
      Promise.resolve(index)
        .then((slotIndex) => this.startSlot(slotIndex))
        .catch((error: unknown) => {
          if (this.closed) return;
          this.logger.warn(`Workflow thread ${index + 1} could not start again: ${(error as Error).message}`);
          this.restart(index, (this.failuresInARow[index] = failuresInARow + 1));
        });
    };
    if (failuresInARow <= 1) return start();
    this.logger.warn(`Workflow thread ${index + 1} failed ${failuresInARow} times in a row; starting another in ${delayFor(failuresInARow)} ms`);
    const timer = setTimeout(() => {
      this.restarts.delete(timer);
      start();
    }, delayFor(failuresInARow));
    this.restarts.add(timer);
  }

  private armWatchdog(): void {
    if (this.watchdog) return;
    // Eight looks per timeout: a stuck thread is found within 1.125 timeouts of its last turn.
    this.watchdog = setInterval(() => this.watch(), Math.max(10, Math.floor(this.options.deadlockTimeoutMs / 8)));
  }

  private disarmWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }
}

/** The thread's entry file, next to this one (`.js` when built, `.ts` under a TypeScript loader). */
const THREAD_ENTRY = new URL(`./workflow-thread.entry${/\.[mc]?ts$/.test(import.meta.url) ? '.ts' : '.js'}`, import.meta.url);

/** The failure of a workflow task whose run no longer waits for its local activities (its thread was replaced). */
function runLost(runId: string): Failure {
  return { type: 'LocalActivityRunLost', message: `Run ${runId} no longer waits for its local activities on this worker; the workflow task is retried` };
}

function delayFor(failuresInARow: number): number {
  return Math.min(RESTART_BACKOFF_MS.max, RESTART_BACKOFF_MS.first * 2 ** (failuresInARow - 2));
}

function describeExit(code: number, error: unknown): string {
  if (error) return `failed: ${(error as Error)?.message ?? String(error)}`;
  return `exited with code ${code}`;
}

/** This process's flags and the URLs of its entry script (`process.argv[1]`, with or without its extension, symlinks resolved). */
function processFacts(): ProcessFacts {
  const entry = process.argv[1];
  const entryUrls = new Set<string>();
  if (entry) {
    for (const candidate of [entry, `${entry}.js`, `${entry}.mjs`, `${entry}.cjs`]) {
      try {
        entryUrls.add(pathToFileURL(candidate).href);
        entryUrls.add(pathToFileURL(realpathSync(candidate)).href);
      } catch {
        // No such file.
      }
    }
  }
  return { execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS ?? '', entryUrls: [...entryUrls] };
}
