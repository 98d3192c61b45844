import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PlatformTestHarness, registration } from '../testing/platform-test.harness.js';
import { SimulatedWorker } from '../testing/simulated-worker.js';

const CUSTOMER_SCHEMA = {
  type: 'object',
  properties: {
    customer: {
      type: 'object',
      properties: { email: { type: 'string', format: 'email' }, name: { type: 'string' } },
      required: ['email'],
      additionalProperties: false,
    },
    items: { type: 'array', items: { type: 'integer', minimum: 1 } },
  },
  required: ['customer'],
  'x-ui-hint': 'unknown keywords are allowed',
};
const ORDER = {
  name: 'order',
  input_schema: CUSTOMER_SCHEMA,
  signals: [{ name: 'approve', input_schema: { type: 'boolean' } }, { name: 'poke' }],
  queries: [{ name: 'status', input_schema: null }],
  updates: [{ name: 'set_note', input_schema: { type: 'string' } }],
};

describe('registered schemas check every payload', () => {
  let h: PlatformTestHarness;
  beforeAll(async () => {
    h = await PlatformTestHarness.start();
    await SimulatedWorker.register(h, { workflows: [ORDER, { name: 'wf' }] });
  });
  afterAll(async () => {
    await h.close();
  });

  const register = (workflows: unknown[]) => h.call('POST', '/v1/workflows/workers/register', { body: registration({ workflows }) });

  it('shows a workflow with its input schema and handlers; a plain registration shows none', async () => {
    const order = await h.call('GET', '/v1/workflows/order');
    expect(order.status).toBe(200);
    expect(order.body).toEqual({
      name: 'order',
      deployments: ['blue'],
      active: true,
      input_schema: CUSTOMER_SCHEMA,
      signals: [
        { name: 'approve', input_schema: { type: 'boolean' } },
        { name: 'poke', input_schema: null },
      ],
      queries: [{ name: 'status', input_schema: null }],
      updates: [{ name: 'set_note', input_schema: { type: 'string' } }],
    });
    expect((await h.call('GET', '/v1/workflows/wf')).body).toEqual({
      name: 'wf',
      deployments: ['blue'],
      active: true,
      input_schema: null,
      signals: [],
      queries: [],
      updates: [],
    });
    // The list keeps its short shape; the static routes next to the parametric one still win.
    const list = await h.call('GET', '/v1/workflows');
    expect(list.body.workflows).toEqual(expect.arrayContaining([{ name: 'order', deployments: ['blue'], active: true }]));
    expect((await h.call('GET', '/v1/workflows/runs')).body).toHaveProperty('executions');
    expect((await h.call('GET', '/v1/workflows/workers/whoami')).body).toHaveProperty('namespace', 'alpha');
  });

  it('starts an execution whose input matches', async () => {
    const started = await h.call('POST', '/v1/workflows/order/execute', { body: { execution_id: 'ok', input: { customer: { email: 'ann@example.com' }, items: [1, 2] } } });
    expect(started.status).toBe(201);
  });

  it('refuses an input that does not match with 422 naming each field, and starts nothing', async () => {
    const response = await h.call('POST', '/v1/workflows/order/execute', {
      body: { execution_id: 'bad', input: { customer: { email: 'not-an-email', nickname: 'x' }, items: [0, 'two'] } },
    });
    expect(response.status).toBe(422);
    expect(response.body.code).toBe('WF_REQUEST_INVALID');
    const problems = response.body.detail.split('; ');
    expect(problems).toEqual(
      expect.arrayContaining([
        'input.customer.email: must match format "email"',
        'input.customer.nickname: is not allowed',
        'input.items[0]: must be >= 1',
        'input.items[1]: must be integer',
      ]),
    );
    expect((await h.call('POST', '/v1/workflows/order/execute', { body: { input: null } })).body.detail).toBe('input: must be object');
    expect((await h.call('POST', '/v1/workflows/order/execute', { body: { input: {} } })).body.detail).toBe('input.customer: is required');
    expect((await h.call('GET', '/v1/workflows/executions/bad')).status).toBe(404);
  });

  it('lists at most five problems and says how many more there are', async () => {
    const response = await h.call('POST', '/v1/workflows/order/execute', { body: { input: { customer: { email: 'a@b.co' }, items: [0, 0, 0, 0, 0, 0, 0] } } });
    expect(response.body.detail).toBe(`${Array.from({ length: 5 }, (_, i) => `input.items[${i}]: must be >= 1`).join('; ')} (and 2 more)`);
  });

  it('checks the input against the schema of the deployment the start is pinned to', async () => {
    await h.call('POST', '/v1/workflows/workers/register', {
      body: registration({ deployment_name: 'green', workflows: [{ name: 'order', input_schema: { type: 'string' } }] }),
    });
    expect((await h.call('POST', '/v1/workflows/order/execute', { body: { input: 'plain', deployment_name: 'green' } })).status).toBe(201);
    expect((await h.call('POST', '/v1/workflows/order/execute', { body: { input: 'plain', deployment_name: 'blue' } })).body.detail).toBe('input: must be object');
  });

  it.each([
    ['an input schema that does not compile', [{ name: 'w', input_schema: { type: 'strin' } }], /^workflows\[0\]\.input_schema: is not a valid JSON Schema/],
    ['a handler schema that does not compile', [{ name: 'w' }, { name: 'v', signals: [{ name: 'a' }, { name: 'b', input_schema: { minimum: 'one' } }] }], /^workflows\[1\]\.signals\[1\]\.input_schema: is not a valid JSON Schema/],
    ['a reference it cannot resolve', [{ name: 'w', updates: [{ name: 'u', input_schema: { $ref: 'https://example.com/s.json' } }] }], /^workflows\[0\]\.updates\[0\]\.input_schema: .*can't resolve reference/],
    ['a schema that is not an object', [{ name: 'w', input_schema: 'string' }], /^workflows\[0\]\.input_schema must be a JSON Schema/],
    ['a handler name given twice', [{ name: 'w', queries: [{ name: 'q' }, { name: 'q' }] }], /^workflows\[0\]\.queries\[1\]\.name: 'q' is defined twice/],
    ['an unknown handler field', [{ name: 'w', signals: [{ name: 's', schema: {} }] }], /^workflows\[0\]\.signals\[0\]\.schema is not a known field/],
  ])('refuses a registration with %s: 422 naming the path, no session', async (_what, workflows, detail) => {
    const response = await register(workflows);
    expect(response.status).toBe(422);
    expect(response.body.code).toBe('WF_REQUEST_INVALID');
    expect(response.body.detail).toMatch(detail);
    expect((await h.call('GET', '/v1/workflows/w')).status).toBe(404);
  });

  it('accepts boolean schemas, and the same handler name in different kinds', async () => {
    expect((await register([{ name: 'flags', input_schema: true, signals: [{ name: 'x', input_schema: false }], queries: [{ name: 'x' }] }])).status).toBe(201);
    const started = await h.call('POST', '/v1/workflows/flags/execute', { body: { execution_id: 'flags-1', input: 'anything' } });
    expect(started.status).toBe(201);
    const refused = await h.call('POST', '/v1/workflows/executions/flags-1/signals', { body: { name: 'x', input: null } });
    expect(refused.body).toEqual({ code: 'WF_REQUEST_INVALID', detail: 'input: boolean schema is false' });
  });
});
