import type { ExecutionStatus } from '#workflows/protocol';
import type { CreatedTask } from '../store.interface.js';
import type { TransitionNotice } from './postgres.transaction.js';

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; a notice is split below this. */
export const MAX_NOTICE_BYTES = 7000;

/** A decoded notice and the node that sent it. */
export interface DecodedNotice extends TransitionNotice {
  origin: string;
}

/** One task as sent: kind (`w`/`a`), name, deployment, visible at, how many alike. */
type TaskEntry = [string, string, string | null, number, number];

interface Payload {
  o: string;
  n: string;
  t?: TaskEntry[];
  c?: [string, string];
}

/**
 * The NOTIFY payloads of one committed transition: small JSON, identical tasks counted
 * rather than repeated, split so that each payload stays under {@link MAX_NOTICE_BYTES}.
 */
export function encodeNotice(origin: string, notice: TransitionNotice): string[] {
  const counts = new Map<string, TaskEntry>();
  for (const task of notice.tasks) {
    const entry: TaskEntry = [task.kind === 'workflow' ? 'w' : 'a', task.name, task.deploymentName, task.visibleAt, 1];
    const key = JSON.stringify(entry.slice(0, 4));
    const existing = counts.get(key);
    if (existing) existing[4]++;
    else counts.set(key, entry);
  }
  const payloads: string[] = [];
  const base = (): Payload => ({ o: origin, n: notice.namespace });
  let current: Payload = base();
  if (notice.closed) current.c = [notice.closed.executionId, notice.closed.status];
  for (const entry of counts.values()) {
    const candidate: Payload = { ...current, t: [...(current.t ?? []), entry] };
    if (current.t && Buffer.byteLength(JSON.stringify(candidate)) > MAX_NOTICE_BYTES) {
      payloads.push(JSON.stringify(current));
      current = { ...base(), t: [entry] };
    } else {
      current = candidate;
    }
  }
  payloads.push(JSON.stringify(current));
  return payloads;
}

/** A payload of {@link encodeNotice}, or `null` when it is not one (another program on the channel). */
export function decodeNotice(payload: string | undefined): DecodedNotice | null {
  try {
    const value = JSON.parse(payload ?? '') as Payload;
    if (typeof value?.o !== 'string' || typeof value.n !== 'string') return null;
    const tasks: CreatedTask[] = [];
    for (const [kind, name, deploymentName, visibleAt, count] of value.t ?? []) {
      const task: CreatedTask = { kind: kind === 'w' ? 'workflow' : 'activity', name, deploymentName, visibleAt };
      for (let i = 0; i < count; i++) tasks.push(task);
    }
    const closed = value.c ? { executionId: value.c[0], status: value.c[1] as ExecutionStatus } : undefined;
    return { origin: value.o, namespace: value.n, tasks, ...(closed ? { closed } : {}) };
  } catch {
    return null;
  }
}
