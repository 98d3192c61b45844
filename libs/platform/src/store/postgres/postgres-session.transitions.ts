import { groupRegistrations } from '../store-results.js';
import type { WorkerSession, WorkflowRegistration } from '../store.interface.js';
import { registeredDefinitions, type RegistrationRow } from '../store.rows.js';
import { SESSION_RETENTION_MS } from '../task-transition.rules.js';
import type { PgTx } from './postgres.transaction.js';

/**
 * Worker sessions of {@link PostgresStore} and the workflow registrations they leave: opening a
 * session records each workflow it runs (with its definition) for its deployment, and the
 * registrations are listed from those records. Runs inside the store's transaction.
 */
export class PostgresSessionTransitions {
  constructor(private readonly tx: PgTx) {}

  /** Opens a session (purging long-expired ones) and records its workflows' registrations. */
  async open(session: WorkerSession): Promise<void> {
    await this.tx.run('DELETE FROM worker_sessions WHERE expires_at < $1', [session.openedAt - SESSION_RETENTION_MS]);
    await this.tx.run(
      `INSERT INTO worker_sessions (worker_id, namespace, worker_name, deployment_name, workflows, activities, opened_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        session.workerId,
        session.namespace,
        session.workerName,
        session.deploymentName,
        JSON.stringify(session.workflows),
        JSON.stringify(session.activities),
        session.openedAt,
        session.expiresAt,
      ],
    );
    const registered = registeredDefinitions(session);
    await this.tx.run(
      `INSERT INTO workflow_registrations (namespace, workflow_name, deployment_name, worker_id, last_registered_at, definition)
       SELECT $1, w.name, $2, $3, $4, w.definition FROM unnest($5::text[], $6::text[]) AS w(name, definition)
       ON CONFLICT (namespace, workflow_name, deployment_name)
       DO UPDATE SET worker_id = excluded.worker_id, last_registered_at = excluded.last_registered_at, definition = excluded.definition`,
      [
        session.namespace,
        session.deploymentName,
        session.workerId,
        session.openedAt,
        registered.map(([name]) => name),
        registered.map(([, definition]) => definition),
      ],
    );
  }

  /**
   * The namespace's registered workflows (only `workflowName` when given), `active` when a session
   * live at `now` runs them, each with its latest definition or `deploymentName`'s.
   */
  async registrations(namespace: string, workflowName: string | null, now: number, deploymentName: string | null): Promise<WorkflowRegistration[]> {
    const rows = await this.tx.rows<RegistrationRow>(
      `SELECT workflow_name, deployment_name, last_registered_at, definition FROM workflow_registrations
       WHERE namespace = $1 AND ($2::text IS NULL OR workflow_name = $2) ORDER BY workflow_name, deployment_name`,
      [namespace, workflowName],
    );
    if (rows.length === 0) return [];
    const active = await this.tx.rows<{ name: string }>(
      `SELECT DISTINCT j.name FROM worker_sessions s, jsonb_array_elements_text(s.workflows::jsonb) AS j(name)
       WHERE s.namespace = $1 AND s.expires_at > $2`,
      [namespace, now],
    );
    return groupRegistrations(rows, new Set(active.map((row) => row.name)), deploymentName);
  }
}
