import { firstValueFrom, toArray } from 'rxjs';
import { EventType, ExecutionStatus, type ExecutionWire, type HistoryEvent, type HistoryPageWire } from '#workflows/protocol';
import type { PlatformTransport } from '../transport/platform-transport.js';
import { WorkflowHandle } from './workflow-handle.js';

const event = (id: number, type: EventType): HistoryEvent =>
  ({ event_id: id, event_type: type, event_timestamp: '2026-01-01T00:00:00.000Z', attributes: {} }) as unknown as HistoryEvent;

/** A platform whose execution closed with event 3: a stream after it ends at once, as the platform does. */
class ClosedExecutionTransport {
  readonly history = [event(1, EventType.WorkflowExecutionStarted), event(2, EventType.WorkflowTaskCompleted), event(3, EventType.WorkflowExecutionCompleted)];
  connections = 0;

  async *streamEvents(_executionId: string, lastEventId: number): AsyncIterable<HistoryEvent> {
    this.connections++;
    for (const item of this.history) if (item.event_id > lastEventId) yield item;
  }

  async getExecution(): Promise<ExecutionWire> {
    return { status: ExecutionStatus.Completed } as ExecutionWire;
  }

  async getHistory(): Promise<HistoryPageWire> {
    return { events: this.history, next_page_token: null };
  }
}

describe('a live event stream of a closed execution', () => {
  it('completes, without reconnecting, when resumed after its terminal event', async () => {
    const transport = new ClosedExecutionTransport();
    const handle = new WorkflowHandle(transport as unknown as PlatformTransport, 'e1');
    expect(await firstValueFrom(handle.eventsAfter(3).pipe(toArray()))).toEqual([]);
    expect(transport.connections).toBe(1);
  });

  it('completes after the terminal event when read from the start', async () => {
    const transport = new ClosedExecutionTransport();
    const handle = new WorkflowHandle(transport as unknown as PlatformTransport, 'e1');
    expect((await firstValueFrom(handle.events$.pipe(toArray()))).map((item) => item.event_id)).toEqual([1, 2, 3]);
  });
});
