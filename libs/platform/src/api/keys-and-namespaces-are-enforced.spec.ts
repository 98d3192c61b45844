import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { applyPlatformDefaults } from '../options/platform.options.js';
import { PlatformModule } from '../platform.module.js';
import { EventStreamReader } from '../testing/event-stream.reader.js';
import { PlatformTestHarness, KEY_B, registration } from '../testing/platform-test.harness.js';

/**
 * Every route of the API, with a body where it takes one: all of them need a key (R38). A route
 * the platform serves that is missing here fails the classification test below.
 */
const ROUTES: ['GET' | 'POST', string, unknown][] = [
  ['GET', '/v1/workflows/workers/whoami', undefined],
  ['GET', '/v1/workflows', undefined],
  ['GET', '/v1/workflows/wf', undefined],
  ['POST', '/v1/workflows/wf/execute', {}],
  ['GET', '/v1/workflows/executions/e1', undefined],
  ['GET', '/v1/workflows/executions/e1/history', undefined],
  ['GET', '/v1/workflows/executions/e1/stream', undefined],
  ['POST', '/v1/workflows/executions/e1/signals', { name: 's' }],
  ['POST', '/v1/workflows/executions/e1/queries', { name: 'q' }],
  ['POST', '/v1/workflows/executions/e1/updates', { name: 'u' }],
  ['POST', '/v1/workflows/executions/e1/cancel', {}],
  ['POST', '/v1/workflows/executions/e1/terminate', {}],
  ['POST', '/v1/workflows/executions/cancel', { execution_ids: ['e1'] }],
  ['POST', '/v1/workflows/executions/terminate', { execution_ids: ['e1'] }],
  ['GET', '/v1/workflows/runs', undefined],
  ['POST', '/v1/workflows/workers/register', registration()],
  ['POST', '/v1/workflows/workers/w/heartbeat', {}],
  ['POST', '/v1/workflows/workers/w/shutdown', {}],
  ['POST', '/v1/workflows/tasks/poll', { worker_id: 'w', max_workflow_tasks: 1, max_activity_tasks: 1 }],
  ['POST', '/v1/workflows/tasks/complete', { worker_id: 'w', task_token: 'w1.1', commands: [] }],
  ['POST', '/v1/workflows/tasks/fail', { worker_id: 'w', task_token: 'w1.1', failure: { type: 'E', message: 'm' } }],
  ['POST', '/v1/workflows/tasks/heartbeat', { worker_id: 'w', task_token: 'a1.1' }],
  ['POST', '/v1/workflows/tasks/history', { worker_id: 'w', execution_id: 'e1', run_id: 'r1' }],
  ['POST', '/v1/workflows/tasks/release', { worker_id: 'w', task_tokens: [] }],
];

describe('API keys and namespaces', () => {
  let h: PlatformTestHarness;
  beforeAll(async () => {
    h = await PlatformTestHarness.start();
  });
  afterAll(async () => {
    await h.close();
  });

  it.each(ROUTES)('answers %s %s without a key with 401 WF_AUTH_MISSING', async (method, path, body) => {
    const response = await h.call(method, path, { key: null, body });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('WF_AUTH_MISSING');
  });

  it('classifies every route the platform serves (R38): each is listed above, and so checked without a key', () => {
    const fastify = h.platform.app.getHttpAdapter().getInstance();
    const classified = new Set(
      ROUTES.map(([method, path]) => {
        const found = fastify.findRoute({ method, url: path });
        expect(found).not.toBeNull();
        // The route's pattern: the path with each parameter's value put back as its name.
        const params = Object.entries(found!.params as Record<string, string>);
        const pattern = path
          .split('/')
          .map((segment) => {
            const param = params.find(([, value]) => value === segment);
            return param ? `:${param[0]}` : segment;
          })
          .join('/');
        return `${method} ${pattern}`;
      }),
    );
    const served = nestRoutes();
    expect(served.length).toBeGreaterThan(10);
    for (const route of served) {
      const [method, url] = route.split(' ');
      expect(fastify.hasRoute({ method: method as 'GET', url: url! })).toBe(true);
    }
    expect(served.filter((route) => !classified.has(route))).toEqual([]);
  });

  it('checks the key before reading the body: 401, not a parse or size error, and on unknown routes too', async () => {
    const malformed = await h.call('POST', '/v1/workflows/wf/execute', { key: null, rawBody: '{"input": ' });
    expect(malformed).toMatchObject({ status: 401, body: { code: 'WF_AUTH_MISSING' } });
    const oversized = await h.call('POST', '/v1/workflows/wf/execute', { key: 'wrong-key-0123456789', rawBody: 'x'.repeat(3 * 1024 * 1024) });
    expect(oversized).toMatchObject({ status: 401, body: { code: 'WF_AUTH_INVALID' } });
    const notJson = await h.call('POST', '/v1/workflows/wf/execute', { key: null, rawBody: 'a=b', headers: { 'content-type': 'text/html' } });
    expect(notJson).toMatchObject({ status: 401, body: { code: 'WF_AUTH_MISSING' } });
    expect(await h.call('GET', '/v1/nowhere', { key: null })).toMatchObject({ status: 401, body: { code: 'WF_AUTH_MISSING' } });
    // With a key, the same requests get the errors that name their problem.
    expect(await h.call('POST', '/v1/workflows/wf/execute', { rawBody: '{"input": ' })).toMatchObject({
      status: 400,
      body: { code: 'WF_REQUEST_MALFORMED_JSON' },
    });
    expect(await h.call('GET', '/v1/nowhere')).toMatchObject({ status: 404, body: { code: 'WF_ROUTE_NOT_FOUND' } });
  });

  it('answers a wrong, malformed or non-bearer key with one identical 401 WF_AUTH_INVALID', async () => {
    const answers = await Promise.all(
      ['Bearer wrong-key-0123456789', 'Bearer ', 'Basic dXNlcjpwYXNz', `Bearer ${'k'.repeat(10_000)}`, 'Bearer a b'].map((authorization) =>
        h.call('GET', '/v1/workflows', { headers: { authorization } }),
      ),
    );
    for (const answer of answers) expect({ status: answer.status, body: answer.body }).toEqual({ status: 401, body: { code: 'WF_AUTH_INVALID', detail: 'the API key is invalid' } });
  });

  it("tells a key's namespace and the platform's URL", async () => {
    const alpha = await h.call('GET', '/v1/workflows/workers/whoami');
    expect(alpha.body).toEqual({ scheduler_url: h.platform.url, namespace: 'alpha', tls: false });
    expect(h.platform.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await h.call('GET', '/v1/workflows/workers/whoami', { key: KEY_B })).body.namespace).toBe('beta');
  });

  describe("another namespace's resources", () => {
    let alphaWorker: string;
    let betaWorker: string;
    beforeAll(async () => {
      alphaWorker = (await h.call('POST', '/v1/workflows/workers/register', { body: registration() })).body.worker_id;
      betaWorker = (await h.call('POST', '/v1/workflows/workers/register', { body: registration(), key: KEY_B })).body.worker_id;
      expect((await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'secret', input: 'alpha only' } })).status).toBe(201);
    });

    it('are 404 exactly like missing ones', async () => {
      const foreign = await h.call('GET', '/v1/workflows/executions/secret', { key: KEY_B });
      const missing = await h.call('GET', '/v1/workflows/executions/nothing', { key: KEY_B });
      expect(foreign.status).toBe(404);
      expect(foreign.body).toEqual({ ...missing.body, detail: missing.body.detail.replace('nothing', 'secret') });
      expect((await h.call('GET', '/v1/workflows/executions/secret/history', { key: KEY_B })).status).toBe(404);
      expect((await h.call('GET', '/v1/workflows/executions/secret?wait_seconds=1', { key: KEY_B })).status).toBe(404);
      expect((await h.call('GET', '/v1/workflows/runs', { key: KEY_B })).body.executions).toEqual([]);
    });

    it('are 404 to every way of talking to them, and nothing is recorded', async () => {
      const history = async () => (await h.call('GET', '/v1/workflows/executions/secret/history')).body.events;
      const before = await history();
      const calls: [string, unknown][] = [
        ['signals', { name: 's' }],
        ['queries', { name: 'q', timeout_seconds: 1 }],
        ['updates', { name: 'u', timeout_seconds: 0 }],
        ['cancel', {}],
        ['terminate', {}],
      ];
      for (const [action, body] of calls) {
        const response = await h.call('POST', `/v1/workflows/executions/secret/${action}`, { key: KEY_B, body });
        expect({ action, status: response.status, code: response.body.code }).toEqual({ action, status: 404, code: 'WF_EXECUTION_NOT_FOUND' });
      }
      for (const action of ['cancel', 'terminate']) {
        const batch = await h.call('POST', `/v1/workflows/executions/${action}`, { key: KEY_B, body: { execution_ids: ['secret'] } });
        expect(batch.body.results).toEqual([{ execution_id: 'secret', ok: false, code: 'WF_EXECUTION_NOT_FOUND', detail: expect.any(String) }]);
      }
      const stream = await EventStreamReader.open(`${h.platform.url}/v1/workflows/executions/secret/stream`, { authorization: `Bearer ${KEY_B}` });
      expect(stream.status).toBe(404);
      const signalWithStart = await h.call('POST', '/v1/workflows/wf/execute', { key: KEY_B, body: { execution_id: 'secret', signal: { name: 's' } } });
      // B's own execution of that id: A's is untouched.
      expect(signalWithStart.status).toBe(201);
      expect(signalWithStart.body.run_id).not.toBe((await h.call('GET', '/v1/workflows/executions/secret')).body.run_id);
      expect((await h.call('POST', '/v1/workflows/executions/secret/terminate', { key: KEY_B })).status).toBe(202);
      expect(await history()).toEqual(before);
      expect((await h.call('GET', '/v1/workflows/executions/secret')).body.status).toBe('RUNNING');
    });

    it('keep their own execution ids: the same id starts separately in each', async () => {
      const beta = await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'shared-id' }, key: KEY_B });
      const alpha = await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'shared-id' } });
      expect([beta.status, alpha.status]).toEqual([201, 201]);
      expect(beta.body.run_id).not.toBe(alpha.body.run_id);
    });

    it("never hand B's polls A's tasks, nor let B use A's session or tokens", async () => {
      const betaPoll = await h.call('POST', '/v1/workflows/tasks/poll', {
        key: KEY_B,
        body: { worker_id: betaWorker, wait_ms: 0, max_workflow_tasks: 10, max_activity_tasks: 10 },
      });
      expect(betaPoll.body.tasks.map((t: { execution_id: string }) => t.execution_id)).not.toContain('secret');
      const asAlpha = await h.call('POST', '/v1/workflows/tasks/poll', {
        key: KEY_B,
        body: { worker_id: alphaWorker, wait_ms: 0, max_workflow_tasks: 10, max_activity_tasks: 10 },
      });
      expect(asAlpha.status).toBe(404);
      expect((await h.call('POST', `/v1/workflows/workers/${alphaWorker}/heartbeat`, { key: KEY_B, body: {} })).status).toBe(404);
      expect((await h.call('POST', `/v1/workflows/workers/${alphaWorker}/shutdown`, { key: KEY_B, body: {} })).status).toBe(404);

      const alphaPoll = await h.call('POST', '/v1/workflows/tasks/poll', {
        body: { worker_id: alphaWorker, wait_ms: 0, max_workflow_tasks: 10, max_activity_tasks: 0 },
      });
      const task = alphaPoll.body.tasks.find((t: { execution_id: string }) => t.execution_id === 'secret');
      expect(task).toBeDefined();
      const stolen = await h.call('POST', '/v1/workflows/tasks/complete', {
        key: KEY_B,
        body: { worker_id: betaWorker, task_token: task.task_token, commands: [{ type: 'COMPLETE_WORKFLOW', result: 'stolen' }] },
      });
      expect(stolen.status).toBe(404);
      expect(stolen.body.code).toBe('WF_TASK_NOT_FOUND');
      expect((await h.call('GET', '/v1/workflows/executions/secret')).body.status).toBe('RUNNING');
    });
  });
});

/** Every route the platform module's controllers declare, as `METHOD /path/:param`. */
function nestRoutes(): string[] {
  const controllers = (PlatformModule.forRoot(applyPlatformDefaults({})).controllers ?? []) as Type[];
  const routes: string[] = [];
  for (const controller of controllers) {
    const prefix = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = (controller.prototype as Record<string, unknown>)[name];
      if (typeof handler !== 'function' || name === 'constructor') continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      if (method === undefined || path === undefined) continue;
      const url = `/${[prefix, path].map((part) => part.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`;
      routes.push(`${RequestMethod[method]} ${url}`);
    }
  }
  return routes;
}
