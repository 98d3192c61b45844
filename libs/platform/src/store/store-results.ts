import type { WorkflowRegistrationWire } from '#workflows/protocol';
import { encodeExecutionCursor } from './page-cursor.js';
import type { CreatedTask, ExecutionRecord, NamespaceTasks, Page, StoreListener, TransitionOutcome, WorkflowRegistration } from './store.interface.js';
import { fromJson, type RegistrationRow } from './store.rows.js';

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

/**
 * Registration rows (sorted by name, then deployment) as workflows, `active` when a live session
 * runs the name. A workflow's `definition` is that of `deploymentName`'s registration when given
 * (`null` when that deployment never registered it), else of its most recent registration.
 */
export function groupRegistrations(
  rows: readonly RegistrationRow[],
  activeNames: ReadonlySet<string>,
  deploymentName: string | null = null,
): WorkflowRegistration[] {
  const byName = new Map<string, { registration: WorkflowRegistration; definedBy: RegistrationRow | null }>();
  for (const row of rows) {
    let entry = byName.get(row.workflow_name);
    if (!entry) {
      entry = { registration: { name: row.workflow_name, deployments: [], active: activeNames.has(row.workflow_name) }, definedBy: null };
      byName.set(row.workflow_name, entry);
    }
    entry.registration.deployments.push(row.deployment_name);
    const chosen =
      deploymentName === null ? !entry.definedBy || row.last_registered_at > entry.definedBy.last_registered_at : row.deployment_name === deploymentName;
    if (chosen) entry.definedBy = row;
  }
  return [...byName.values()].map(({ registration, definedBy }) => ({
    ...registration,
    definition: fromJson<WorkflowRegistrationWire>(definedBy?.definition ?? null),
  }));
}

/**
 * The executions transitions appended events to (or answered a query of), per namespace: what
 * the change feed reports once the transaction commits ({@link StoreListener.changed}).
 */
export class ExecutionChanges {
  private readonly byNamespace = new Map<string, Set<string>>();

  /** Notes a change of `executionId`. */
  add(namespace: string, executionId: string): void {
    let ids = this.byNamespace.get(namespace);
    if (!ids) {
      ids = new Set();
      this.byNamespace.set(namespace, ids);
    }
    ids.add(executionId);
  }

  /** What was noted, per namespace. */
  list(): [namespace: string, executionIds: string[]][] {
    return [...this.byNamespace].map(([namespace, ids]): [string, string[]] => [namespace, [...ids]]);
  }

  /** What was noted, per namespace; the collector is empty afterwards. */
  take(): [namespace: string, executionIds: string[]][] {
    const changes = this.list();
    this.byNamespace.clear();
    return changes;
  }
}

/**
 * Tells `listeners` what committed transitions changed. A listener that throws is skipped: the
 * transition has committed, so its caller must not see an error.
 */
export function publishChanges(listeners: Iterable<StoreListener>, changes: readonly [string, readonly string[]][]): void {
  for (const [namespace, executionIds] of changes) {
    for (const listener of listeners) {
      try {
        listener.changed?.(namespace, executionIds);
      } catch {
        // See above: a listener's own failure is its to report.
      }
    }
  }
}

/** A page of executions from up to `pageSize + 1` records read newest first: the extra one says a next page exists. */
export function executionPage(records: readonly ExecutionRecord[], pageSize: number): Page<ExecutionRecord> {
  const items = records.slice(0, pageSize);
  const last = items[items.length - 1];
  const nextCursor =
    records.length > pageSize && last ? encodeExecutionCursor({ startTime: last.startTime, executionId: last.executionId }) : null;
  return { items, nextCursor };
}
