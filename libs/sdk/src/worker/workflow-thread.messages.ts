import type { QueryTaskWire, WorkflowTaskWire } from '#workflows/protocol';
import type { LocalActivityOutcome } from '../runtime/local-activity.js';
import type { QueryTaskOutcome, WorkflowTaskOutcome } from './workflow-task.executor.js';

/** A workflow class a thread must run: its workflow name and the module that defines it. */
export interface WorkflowSource {
  name: string;
  moduleUrl: string;
}

/** What a workflow thread starts with (its `workerData`). */
export interface WorkflowThreadData {
  /** The workflows to rebuild, from the modules that define them. */
  workflows: WorkflowSource[];
  /** The capacity of the thread's sticky cache. */
  maxCachedWorkflows: number;
  /** One Int32 the thread bumps at every turn of its event loop while it runs a task: proof that its code yields. */
  progress: SharedArrayBuffer;
}

/** A task sent to a workflow thread; `id` pairs it with its outcome. */
export type ToWorkflowThread =
  | { id: number; kind: 'workflow'; task: WorkflowTaskWire }
  | { id: number; kind: 'query'; task: QueryTaskWire }
  /** The outcomes of the local activities a run of this thread waits for, in the middle of its workflow task. */
  | { id: number; kind: 'local'; task: Pick<WorkflowTaskWire, 'run_id' | 'task_token' | 'workflow_name' | 'execution_id'>; outcomes: LocalActivityOutcome[] };

/** What a workflow thread sends back: that it is ready (or why it cannot be), then one outcome per task. */
export type FromWorkflowThread =
  | { kind: 'ready' }
  | { kind: 'failed'; reason: string }
  | { kind: 'outcome'; id: number; outcome: WorkflowTaskOutcome | QueryTaskOutcome };
