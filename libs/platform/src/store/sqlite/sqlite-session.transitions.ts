import { groupRegistrations } from '../store-results.js';
import type { WorkerSession, WorkflowRegistration } from '../store.interface.js';
import { registeredDefinitions, type RegistrationRow } from '../store.rows.js';
import { SESSION_RETENTION_MS } from '../task-transition.rules.js';
import type { SqliteStatements } from './sqlite.statements.js';

/**
 * Worker sessions of {@link SqliteStore} and the workflow registrations they leave: opening a
 * session records each workflow it runs (with its definition) for its deployment, and the
 * registrations are listed from those records. Runs inside the store's transaction.
 */
export class SqliteSessionTransitions {
  constructor(private readonly statements: SqliteStatements) {}

  /** Opens a session (purging long-expired ones) and records its workflows' registrations. */
  open(session: WorkerSession): void {
    const s = this.statements;
    s.get('DELETE FROM worker_sessions WHERE expires_at < ?').run(session.openedAt - SESSION_RETENTION_MS);
    s.get(
      `INSERT INTO worker_sessions (worker_id, namespace, worker_name, deployment_name, workflows, activities, opened_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      session.workerId,
      session.namespace,
      session.workerName,
      session.deploymentName,
      JSON.stringify(session.workflows),
      JSON.stringify(session.activities),
      session.openedAt,
      session.expiresAt,
    );
    const register = s.get(
      `INSERT INTO workflow_registrations (namespace, workflow_name, deployment_name, worker_id, last_registered_at, definition)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (namespace, workflow_name, deployment_name)
       DO UPDATE SET worker_id = excluded.worker_id, last_registered_at = excluded.last_registered_at, definition = excluded.definition`,
    );
    for (const [name, definition] of registeredDefinitions(session)) {
      register.run(session.namespace, name, session.deploymentName, session.workerId, session.openedAt, definition);
    }
  }

  /**
   * The namespace's registered workflows (only `workflowName` when given), `active` when a session
   * live at `now` runs them, each with its latest definition or `deploymentName`'s.
   */
  registrations(namespace: string, workflowName: string | null, now: number, deploymentName: string | null): WorkflowRegistration[] {
    const rows = this.statements
      .get(
        `SELECT workflow_name, deployment_name, last_registered_at, definition FROM workflow_registrations
         WHERE namespace = ? AND (? IS NULL OR workflow_name = ?) ORDER BY workflow_name, deployment_name`,
      )
      .all(namespace, workflowName, workflowName) as RegistrationRow[];
    if (rows.length === 0) return [];
    const active = new Set(
      this.statements
        .get(
          `SELECT DISTINCT j.value FROM worker_sessions s, json_each(s.workflows) j
           WHERE s.namespace = ? AND s.expires_at > ?`,
        )
        .pluck()
        .all(namespace, now) as string[],
    );
    return groupRegistrations(rows, active, deploymentName);
  }
}
