import type { PollTasksRequest, TaskWire, TasksResponse } from '#workflows/protocol';
import type { PlatformTransport } from '../transport/platform-transport.js';
import { SlotCounter } from './slot-counter.js';
import { TaskPoller } from './task-poller.js';

/** A transport whose polls stay open until the test answers them (PlatformTransport is the declared seam). */
class HeldPolls {
  readonly requests: { body: PollTasksRequest; answer: (response: TasksResponse) => void }[] = [];
  private listeners: (() => void)[] = [];

  poll(body: PollTasksRequest): Promise<TasksResponse> {
    return new Promise((answer) => {
      this.requests.push({ body, answer });
      for (const listener of this.listeners.splice(0)) listener();
    });
  }

  /** Resolves once `count` polls have been sent. */
  async sent(count: number): Promise<void> {
    while (this.requests.length < count) await new Promise<void>((resolve) => this.listeners.push(resolve));
  }
}

const activityTask = (id: number): TaskWire =>
  ({ kind: 'activity', task_token: `a${id}.1`, activity_name: 'x' }) as TaskWire;

describe('TaskPoller', () => {
  it('asks for exactly the free slots, and opens another poll when a slot frees while one is open', async () => {
    const transport = new HeldPolls();
    const slots = new SlotCounter({ workflow: 1, activity: 2 });
    const poller = new TaskPoller({
      transport: transport as unknown as PlatformTransport,
      slots,
      pollWaitMs: 1000,
      workerId: () => 'worker-1',
      running: () => 0,
      recover: async () => undefined,
    });
    const received: TaskWire[] = [];
    const subscription = poller.tasks$.subscribe((task) => received.push(task));

    await transport.sent(1);
    expect(transport.requests[0]!.body).toEqual({ worker_id: 'worker-1', wait_ms: 1000, max_workflow_tasks: 1, max_activity_tasks: 2 });

    // The first poll brings two activity tasks; the workflow slot it did not use is asked for again.
    transport.requests[0]!.answer({ tasks: [activityTask(1), activityTask(2)] });
    await transport.sent(2);
    expect(received.map((task) => task.task_token)).toEqual(['a1.1', 'a2.1']);
    expect(transport.requests[1]!.body).toMatchObject({ max_workflow_tasks: 1, max_activity_tasks: 0 });

    // An activity finishes while that poll is open: its slot gets a poll of its own at once.
    slots.release('activity');
    await transport.sent(3);
    expect(transport.requests[2]!.body).toMatchObject({ max_workflow_tasks: 0, max_activity_tasks: 1 });

    poller.stop();
    subscription.unsubscribe();
    for (const request of transport.requests.slice(1)) request.answer({ tasks: [] });
  });

  it('leaves a slot of each kind per running task to its completion, which brings the next task back (eager dispatch)', async () => {
    const transport = new HeldPolls();
    const slots = new SlotCounter({ workflow: 3, activity: 3 });
    let running = 1;
    const poller = new TaskPoller({
      transport: transport as unknown as PlatformTransport,
      slots,
      pollWaitMs: 1000,
      workerId: () => 'worker-1',
      running: () => running,
      recover: async () => undefined,
    });
    const subscription = poller.tasks$.subscribe();

    await transport.sent(1);
    expect(transport.requests[0]!.body).toMatchObject({ max_workflow_tasks: 2, max_activity_tasks: 2 });
    // The kept slots are the completion's to ask for: no poll takes them.
    expect(slots.reserveFree()).toEqual({ max_workflow_tasks: 1, max_activity_tasks: 1 });
    running = 0;
    slots.release('workflow');
    slots.release('activity');
    await transport.sent(2);
    expect(transport.requests[1]!.body).toMatchObject({ max_workflow_tasks: 1, max_activity_tasks: 1 });

    poller.stop();
    subscription.unsubscribe();
    for (const request of transport.requests) request.answer({ tasks: [] });
  });
});
