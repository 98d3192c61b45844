import type { PollTasksRequest, TaskWire, TasksResponse } from '#workflows/protocol';
import type { PlatformTransport } from '../transport/platform-transport.js';
import { SlotCounter, type SlotKind } from './slot-counter.js';
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

/** The transport's requests as `kind: workflow slots/activity slots`, in the order sent. */
const asked = (transport: HeldPolls) => transport.requests.map(({ body }) => `${body.max_workflow_tasks}/${body.max_activity_tasks}`);

/** A poller over the held transport, for worker-1, whose running count `running` gives. */
function pollerOf(transport: HeldPolls, slots: SlotCounter, running: () => Record<SlotKind, number> = () => ({ workflow: 0, activity: 0 })): TaskPoller {
  return new TaskPoller({
    transport: transport as unknown as PlatformTransport,
    slots,
    pollWaitMs: 1000,
    workerId: () => 'worker-1',
    running,
    recover: async () => undefined,
  });
}

describe('TaskPoller', () => {
  it('asks for exactly the free slots, one poll per kind, and opens another poll when a slot frees while one is open', async () => {
    const transport = new HeldPolls();
    const slots = new SlotCounter({ workflow: 1, activity: 2 });
    const poller = pollerOf(transport, slots);
    const received: TaskWire[] = [];
    let onReceived = () => undefined as void;
    const subscription = poller.tasks$.subscribe((task) => {
      received.push(task);
      onReceived();
    });
    const receivedCount = (count: number) => new Promise<void>((resolve) => (onReceived = () => received.length >= count && resolve()));

    await transport.sent(2);
    expect(transport.requests.map(({ body }) => body)).toEqual([
      { worker_id: 'worker-1', wait_ms: 1000, max_workflow_tasks: 1, max_activity_tasks: 0 },
      { worker_id: 'worker-1', wait_ms: 1000, max_workflow_tasks: 0, max_activity_tasks: 2 },
    ]);

    // The activity poll brings two tasks; an activity finishes while the workflow poll is still open: its slot gets a poll of its own at once.
    const bothReceived = receivedCount(2);
    transport.requests[1]!.answer({ tasks: [activityTask(1), activityTask(2)] });
    await bothReceived;
    expect(received.map((task) => task.task_token)).toEqual(['a1.1', 'a2.1']);
    slots.release('activity');
    await transport.sent(3);
    expect(transport.requests[2]!.body).toMatchObject({ max_workflow_tasks: 0, max_activity_tasks: 1 });

    poller.stop();
    subscription.unsubscribe();
    for (const request of transport.requests) request.answer({ tasks: [] });
  });

  it('keeps polling for workflow tasks while every activity poll it may open waits for tasks that do not come', async () => {
    const transport = new HeldPolls();
    const slots = new SlotCounter({ workflow: 1, activity: 8 });
    const poller = pollerOf(transport, slots);
    const subscription = poller.tasks$.subscribe();
    await transport.sent(2);

    // The workflow poll brings a task; while it runs, activity slots free one at a time and each gets a poll that waits.
    transport.requests[0]!.answer({ tasks: [{ kind: 'workflow', task_token: 'w1.1' } as TaskWire] });
    transport.requests[1]!.answer({ tasks: Array.from({ length: 8 }, (_, i) => activityTask(i + 1)) });
    for (let i = 0; i < 4; i++) {
      slots.release('activity');
      await transport.sent(3 + i);
    }
    expect(asked(transport).slice(2)).toEqual(['0/1', '0/1', '0/1', '0/1']);
    // The most activity polls are open, all waiting; the workflow task ends: its slot is polled for at once.
    slots.release('workflow');
    await transport.sent(7);
    expect(asked(transport)[6]).toBe('1/0');

    poller.stop();
    subscription.unsubscribe();
    for (const request of transport.requests) request.answer({ tasks: [] });
  });

  it('leaves a workflow slot per running activity and an activity slot per running workflow task to their completions (eager dispatch)', async () => {
    const transport = new HeldPolls();
    const slots = new SlotCounter({ workflow: 4, activity: 4 });
    let running = { workflow: 1, activity: 1 };
    const poller = pollerOf(transport, slots, () => running);
    const subscription = poller.tasks$.subscribe();

    await transport.sent(2);
    expect(asked(transport)).toEqual(['3/0', '0/3']);
    // The kept slots are the completions' to ask for: no poll takes them.
    expect(slots.reserveFree()).toEqual({ max_workflow_tasks: 1, max_activity_tasks: 1 });
    running = { workflow: 0, activity: 0 };
    slots.release('workflow');
    slots.release('activity');
    await transport.sent(4);
    expect(asked(transport).slice(2).sort()).toEqual(['0/1', '1/0']);

    poller.stop();
    subscription.unsubscribe();
    for (const request of transport.requests) request.answer({ tasks: [] });
  });

  it('keeps half its workflow slots open to polls while every activity slot runs a long activity', async () => {
    const transport = new HeldPolls();
    const slots = new SlotCounter({ workflow: 4, activity: 8 });
    const poller = pollerOf(transport, slots, () => ({ workflow: 0, activity: 8 }));
    const subscription = poller.tasks$.subscribe();

    // Eight running activities could each bring a workflow task back, but new executions' workflow tasks still get polled for.
    await transport.sent(2);
    expect(asked(transport)).toEqual(['2/0', '0/8']);

    poller.stop();
    subscription.unsubscribe();
    for (const request of transport.requests) request.answer({ tasks: [] });
  });

  it('polls only for the kinds of task the worker has something registered for', async () => {
    const transport = new HeldPolls();
    const slots = new SlotCounter({ workflow: 2, activity: 2 });
    const poller = new TaskPoller({
      transport: transport as unknown as PlatformTransport,
      slots,
      pollWaitMs: 1000,
      workerId: () => 'worker-1',
      running: () => ({ workflow: 0, activity: 0 }),
      kinds: () => ['activity'],
      recover: async () => undefined,
    });
    const subscription = poller.tasks$.subscribe();
    // Both loops send their first poll as polling starts: only the activity one exists.
    await transport.sent(1);
    expect(asked(transport)).toEqual(['0/2']);
    expect(slots.free('workflow')).toBe(2);

    poller.stop();
    subscription.unsubscribe();
    for (const request of transport.requests) request.answer({ tasks: [] });
  });
});
