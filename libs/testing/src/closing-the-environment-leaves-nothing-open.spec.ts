import 'reflect-metadata';
import { Run, Workflow, WorkflowContext } from '#workflows/sdk';
import { TestWorkflowEnvironment } from './index.js';

@Workflow({ name: 'long-nap' })
class LongNapWorkflow {
  constructor(private readonly ctx: WorkflowContext) {}

  @Run()
  async run(): Promise<void> {
    await this.ctx.sleep('365d');
  }
}

/** Resources that keep Node's event loop alive, by type (unref'd timers are not among them). */
function openResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/**
 * Resolves once no more resources are open than `baseline` has, checking every 10 ms for up to 3 s:
 * closing sockets and connections finish over a few turns of the event loop.
 */
async function backTo(baseline: Record<string, number>): Promise<Record<string, number>> {
  let now = openResources();
  for (let turn = 0; turn < 300 && Object.entries(now).some(([type, count]) => count > (baseline[type] ?? 0)); turn++) {
    await new Promise<void>((resolve) => setTimeout(resolve, 10).unref());
    now = openResources();
  }
  return now;
}

describe('closing the test environment', () => {
  it('leaves no server, socket or timer that would keep the process alive', async () => {
    const baseline = openResources();
    const env = await TestWorkflowEnvironment.create({ workflows: [LongNapWorkflow] });
    try {
      // A running execution with a pending timer (the alarm armed), and a live event stream.
      const handle = await env.client.start(LongNapWorkflow);
      const subscription = handle.events$.subscribe();
      await env.sleep('1d');
      expect(process.getActiveResourcesInfo()).toContain('TCPServerWrap');
      subscription.unsubscribe();
    } finally {
      await env.close();
    }
    await env.close(); // a second close is harmless
    const after = await backTo(baseline);
    for (const [type, count] of Object.entries(after)) expect({ type, count }).toEqual({ type, count: Math.min(count, baseline[type] ?? 0) });
  });
});
