import { EventType, type HistoryEvent } from '#workflows/protocol';
import { WorkflowFailedError, WorkflowsApiError, WorkflowsClient } from '#workflows/sdk';
import { SpawnedProcess, startPlatformProcess, startWorkerProcess } from '../support/spawned-process.js';

const KEY_A = 'wf_e2e_alpha_key';
const KEY_B = 'wf_e2e_beta_key';
const EXECUTIONS = 20;

function order(n: number, sku = 'SKU-1') {
  return {
    orderId: `order-${n}`,
    customerId: `customer-${n % 3}`,
    lines: [{ sku, quantity: 2, unitPriceCents: 1250 }],
    address: '1 Loopback Lane',
  };
}

describe('the example order workflow on a platform process and two worker processes', () => {
  const processes: SpawnedProcess[] = [];
  let url: string;
  let alpha: WorkflowsClient;
  let beta: WorkflowsClient;

  beforeAll(async () => {
    const platform = await startPlatformProcess(`${KEY_A}:alpha,${KEY_B}:beta`);
    processes.push(platform.process);
    url = platform.url;
    // Small slots, so that neither worker can take the whole burst alone.
    const slots = { WORKFLOWS_MAX_CONCURRENT_WORKFLOW_TASKS: '2', WORKFLOWS_MAX_CONCURRENT_ACTIVITY_TASKS: '2' };
    const workers = ['worker-1', 'worker-2'].map((name) => startWorkerProcess(name, url, KEY_A, 'dist/src/main.js', slots));
    processes.push(...(await Promise.all(workers)));
    alpha = WorkflowsClient.connect({ serverUrl: url, apiKey: KEY_A });
    beta = WorkflowsClient.connect({ serverUrl: url, apiKey: KEY_B });
  }, 60_000);

  afterAll(async () => {
    await alpha?.close();
    await beta?.close();
    // Workers first, so that none is left polling a dead platform.
    for (const child of processes.reverse()) await child.kill('SIGTERM');
  });

  it('runs many executions to completion and records the exact history', async () => {
    const handles = await Promise.all(
      Array.from({ length: EXECUTIONS }, (_, n) => alpha.start('order-fulfilment', { input: order(n), executionId: `e2e-order-${n}` })),
    );
    const results = await Promise.all(handles.map((handle) => handle.result()));
    results.forEach((result, n) => {
      expect(result).toMatchObject({ orderId: `order-${n}`, amountCents: 2500, trackingNumber: expect.stringMatching(/^TRK\d{10}$/) });
    });

    const history = await handles[0]!.history();
    expect(history.map((event) => event.event_type)).toEqual([
      EventType.WorkflowExecutionStarted,
      EventType.WorkflowTaskCompleted,
      EventType.ActivityTaskScheduled,
      EventType.ActivityTaskStarted,
      EventType.ActivityTaskCompleted,
      EventType.WorkflowTaskCompleted,
      EventType.ActivityTaskScheduled,
      EventType.ActivityTaskStarted,
      EventType.ActivityTaskCompleted,
      EventType.WorkflowTaskCompleted,
      EventType.ActivityTaskScheduled,
      EventType.ActivityTaskStarted,
      EventType.ActivityTaskCompleted,
      EventType.WorkflowTaskCompleted,
      EventType.WorkflowExecutionCompleted,
    ]);
    expect(history.map((event) => event.event_id)).toEqual(history.map((_, index) => index + 1));
    const scheduled = history.filter((event) => event.event_type === EventType.ActivityTaskScheduled) as HistoryEvent<'ACTIVITY_TASK_SCHEDULED'>[];
    expect(scheduled.map((event) => event.attributes.activity_name)).toEqual(['reserveStock', 'chargePayment', 'createShipment']);

    const described = await handles[0]!.describe();
    expect(described).toMatchObject({ workflow_name: 'order-fulfilment', execution_id: 'e2e-order-0', status: 'COMPLETED' });
    expect(described.total_duration_ms).toBeGreaterThanOrEqual(0);
  });

  it('spreads tasks over both workers', async () => {
    const workers = new Set<string>();
    for (let n = 0; n < EXECUTIONS; n++) {
      for (const event of await alpha.getHandle(`e2e-order-${n}`).history()) {
        if (event.event_type === EventType.ActivityTaskStarted || event.event_type === EventType.WorkflowTaskCompleted) {
          workers.add(event.attributes.worker_name);
        }
      }
    }
    expect([...workers].sort()).toEqual(['worker-1', 'worker-2']);
  });

  it('raises a non-retryable activity failure as a typed error that fails the execution', async () => {
    const error = await alpha.execute('order-fulfilment', { input: order(99, 'SOLD-OUT-1') }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const failed = error as WorkflowFailedError;
    expect(failed.execution.status).toBe('FAILED');
    expect(failed.failure).toMatchObject({ type: 'ActivityFailure', cause: { type: 'OutOfStockError', message: 'SKU SOLD-OUT-1 is out of stock' } });
  });

  it('tells a worker where it is connected', async () => {
    expect(await alpha.whoami()).toEqual({ scheduler_url: url, namespace: 'alpha', tls: false });
    expect(await beta.whoami()).toEqual({ scheduler_url: url, namespace: 'beta', tls: false });
  });

  it('keeps namespaces apart', async () => {
    const handle = await alpha.start('order-fulfilment', { input: order(7), executionId: 'alpha-only' });
    await handle.result();
    await expect(beta.getHandle('alpha-only').describe()).rejects.toMatchObject({ status: 404, code: 'WF_EXECUTION_NOT_FOUND' });
    await expect(beta.start('order-fulfilment', { input: order(8) })).rejects.toMatchObject({ status: 404, code: 'WF_WORKFLOW_NOT_FOUND' });
    const runs = (await (await fetch(`${url}/v1/workflows/runs?page_size=1000`, { headers: { authorization: `Bearer ${KEY_B}` } })).json()) as { executions: unknown[] };
    expect(runs.executions).toEqual([]);
  });

  it('answers bad requests with a code and a detail naming the problem', async () => {
    const call = async (path: string, init: RequestInit = {}, key: string | null = KEY_A) => {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(init.headers as Record<string, string>) };
      if (key !== null) headers.authorization = `Bearer ${key}`;
      const response = await fetch(`${url}${path}`, { ...init, headers });
      return { status: response.status, body: (await response.json()) as { code: string; detail: string } };
    };
    expect(await call('/v1/workflows/workers/whoami', {}, null)).toMatchObject({ status: 401, body: { code: 'WF_AUTH_MISSING' } });
    expect(await call('/v1/workflows/workers/whoami', {}, 'wrong')).toMatchObject({ status: 401, body: { code: 'WF_AUTH_INVALID' } });
    expect(await call('/v1/workflows/no-such-workflow/execute', { method: 'POST', body: '{}' })).toMatchObject({
      status: 404,
      body: { code: 'WF_WORKFLOW_NOT_FOUND', detail: expect.stringContaining('no-such-workflow') },
    });
    const badId = await call('/v1/workflows/order-fulfilment/execute', { method: 'POST', body: JSON.stringify({ execution_id: 42 }) });
    expect(badId.status).toBe(422);
    expect(badId.body.detail).toContain('execution_id');
    const malformed = await call('/v1/workflows/order-fulfilment/execute', { method: 'POST', body: '{"input": ' });
    expect(malformed).toMatchObject({ status: 400, body: { code: 'WF_REQUEST_MALFORMED_JSON' } });
    const tooLong = await call('/v1/workflows/order-fulfilment/execute', {
      method: 'POST',
      body: JSON.stringify({ execution_id: 'x'.repeat(256) }),
    });
    expect(tooLong.status).toBe(422);
    expect(await call('/v1/nowhere')).toMatchObject({ status: 404, body: { code: 'WF_ROUTE_NOT_FOUND' } });
    // Nothing was created by the rejected requests, and the platform still serves.
    const runs = await call('/v1/workflows/runs?page_size=1000');
    expect((runs.body as unknown as { executions: { execution_id: string }[] }).executions.every((e) => e.execution_id !== 'x'.repeat(256))).toBe(true);
    expect(await alpha.whoami()).toMatchObject({ namespace: 'alpha' });
  });

  it('refuses a second start with the same execution id', async () => {
    await alpha.start('order-fulfilment', { input: order(1), executionId: 'once-only' });
    const error = await alpha.start('order-fulfilment', { input: order(1), executionId: 'once-only' }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(WorkflowsApiError);
    expect(error).toMatchObject({ status: 409, code: 'WF_EXECUTION_ALREADY_STARTED' });
  });
});
