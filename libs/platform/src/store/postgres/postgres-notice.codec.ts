import type { ExecutionStatus } from '#workflows/protocol';
import type { CreatedTask } from '../store.interface.js';
import type { TransitionNotice } from './postgres.transaction.js';

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; a notice is split below this. */
export const MAX_NOTICE_BYTES = 7000;

/** A decoded notice and the node that sent it. */
export interface DecodedNotice extends TransitionNotice {
  origin: string;
}

/** The letter a task's kind is sent as. */
const KIND_CODES: Readonly<Record<CreatedTask['kind'], string>> = { workflow: 'w', activity: 'a', query: 'q', timer: 't' };
const CODE_KINDS = new Map(Object.entries(KIND_CODES).map(([kind, code]) => [code, kind as CreatedTask['kind']]));

/** One task as sent: kind letter, name, deployment, visible at, how many alike, and a sticky workflow task's worker and until when. */
type TaskEntry = [string, string, string | null, number, number] | [string, string, string | null, number, number, string, number];

interface Payload {
  o: string;
  n: string;
  t?: TaskEntry[];
  c?: [string, string];
  /** Changed execution ids. */
  x?: string[];
}

/**
 * The NOTIFY payloads of one committed transition: small JSON, identical tasks counted
 * rather than repeated, split so that each payload stays under {@link MAX_NOTICE_BYTES}.
 */
export function encodeNotice(origin: string, notice: TransitionNotice): string[] {
  const counts = new Map<string, TaskEntry>();
  for (const task of notice.tasks) {
    const entry: TaskEntry = task.sticky
      ? [KIND_CODES[task.kind], task.name, task.deploymentName, task.visibleAt, 1, task.sticky.workerId, task.sticky.until]
      : [KIND_CODES[task.kind], task.name, task.deploymentName, task.visibleAt, 1];
    const key = JSON.stringify([...entry.slice(0, 4), ...entry.slice(5)]);
    const existing = counts.get(key);
    if (existing) existing[4]++;
    else counts.set(key, entry);
  }
  const payloads: string[] = [];
  const base = (): Payload => ({ o: origin, n: notice.namespace });
  let current: Payload = base();
  if (notice.closed) current.c = [notice.closed.executionId, notice.closed.status];
  const add = <K extends 't' | 'x'>(field: K, item: NonNullable<Payload[K]>[number]) => {
    const candidate: Payload = { ...current, [field]: [...(current[field] ?? []), item] };
    if ((current.t || current.x) && Buffer.byteLength(JSON.stringify(candidate)) > MAX_NOTICE_BYTES) {
      payloads.push(JSON.stringify(current));
      current = { ...base(), [field]: [item] };
    } else {
      current = candidate;
    }
  };
  for (const entry of counts.values()) add('t', entry);
  for (const executionId of notice.changed ?? []) add('x', executionId);
  payloads.push(JSON.stringify(current));
  return payloads;
}

/** A payload of {@link encodeNotice}, or `null` when it is not one (another program on the channel). */
export function decodeNotice(payload: string | undefined): DecodedNotice | null {
  try {
    const value = JSON.parse(payload ?? '') as Payload;
    if (typeof value?.o !== 'string' || typeof value.n !== 'string') return null;
    const tasks: CreatedTask[] = [];
    for (const [code, name, deploymentName, visibleAt, count, stickyWorkerId, stickyUntil] of value.t ?? []) {
      const kind = CODE_KINDS.get(code);
      if (!kind) continue;
      const sticky = typeof stickyWorkerId === 'string' && typeof stickyUntil === 'number' ? { sticky: { workerId: stickyWorkerId, until: stickyUntil } } : {};
      const task: CreatedTask = { kind, name, deploymentName, visibleAt, ...sticky };
      for (let i = 0; i < count; i++) tasks.push(task);
    }
    const closed = value.c ? { executionId: value.c[0], status: value.c[1] as ExecutionStatus } : undefined;
    return { origin: value.o, namespace: value.n, tasks, ...(closed ? { closed } : {}), ...(value.x ? { changed: value.x } : {}) };
  } catch {
    return null;
  }
}
