import { encodeExecutionCursor } from './page-cursor.js';
import type { CreatedTask, ExecutionRecord, NamespaceTasks, Page, TransitionOutcome, WorkflowRegistration } from './store.interface.js';

/** Created tasks grouped by namespace, in the order they came; shared by the engines' sweeps. */
export class NamespaceCollector {
  private readonly byNamespace = new Map<string, CreatedTask[]>();

  /** Adds what one transition queued in `namespace`. */
  add(namespace: string, outcome: Pick<TransitionOutcome, 'tasks'>): void {
    const tasks = this.byNamespace.get(namespace) ?? [];
    tasks.push(...outcome.tasks);
    this.byNamespace.set(namespace, tasks);
  }

  /** The tasks per namespace. */
  result(): NamespaceTasks[] {
    return [...this.byNamespace].map(([namespace, tasks]) => ({ namespace, tasks }));
  }
}

/** Registration rows (sorted by name, then deployment) as workflows, `active` when a live session runs the name. */
export function groupRegistrations(
  rows: readonly { workflow_name: string; deployment_name: string }[],
  activeNames: ReadonlySet<string>,
): WorkflowRegistration[] {
  const byName = new Map<string, WorkflowRegistration>();
  for (const row of rows) {
    let registration = byName.get(row.workflow_name);
    if (!registration) {
      registration = { name: row.workflow_name, deployments: [], active: activeNames.has(row.workflow_name) };
      byName.set(row.workflow_name, registration);
    }
    registration.deployments.push(row.deployment_name);
  }
  return [...byName.values()];
}

/** A page of executions from up to `pageSize + 1` records read newest first: the extra one says a next page exists. */
export function executionPage(records: readonly ExecutionRecord[], pageSize: number): Page<ExecutionRecord> {
  const items = records.slice(0, pageSize);
  const last = items[items.length - 1];
  const nextCursor =
    records.length > pageSize && last ? encodeExecutionCursor({ startTime: last.startTime, executionId: last.executionId }) : null;
  return { items, nextCursor };
}
