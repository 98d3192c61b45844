import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Limits } from '#workflows/protocol';
import { PlatformTestHarness, registration } from '../testing/platform-test.harness.js';

describe('bad requests are answered with a named 4xx and create nothing', () => {
  let h: PlatformTestHarness;
  let workerId: string;
  beforeAll(async () => {
    h = await PlatformTestHarness.start();
    workerId = (await h.call('POST', '/v1/workflows/workers/register', { body: registration() })).body.worker_id;
  });
  afterAll(async () => {
    await h.close();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  const expectError = async (response: Promise<{ status: number; body: any }>, status: number, code: string, detail?: string | RegExp) => {
    const { status: actual, body } = await response;
    expect({ status: actual, code: body?.code }).toEqual({ status, code });
    expect(Object.keys(body).sort()).toEqual(['code', 'detail']);
    if (detail) expect(body.detail).toMatch(detail);
  };

  it('answers unknown workflows, executions and routes with 404 and their codes', async () => {
    await expectError(h.call('GET', '/v1/workflows/nope'), 404, 'WF_WORKFLOW_NOT_FOUND', /nope/);
    await expectError(h.call('POST', '/v1/workflows/nope/execute', { body: {} }), 404, 'WF_WORKFLOW_NOT_FOUND');
    await expectError(h.call('POST', '/v1/workflows/wf/execute', { body: { deployment_name: 'green' } }), 404, 'WF_WORKFLOW_NOT_FOUND', /green/);
    await expectError(h.call('GET', '/v1/workflows/executions/missing'), 404, 'WF_EXECUTION_NOT_FOUND', /missing/);
    await expectError(h.call('GET', '/v1/workflows/executions/missing/history'), 404, 'WF_EXECUTION_NOT_FOUND');
    await expectError(h.call('GET', '/v1/nothing/here'), 404, 'WF_ROUTE_NOT_FOUND', 'GET /v1/nothing/here');
    await expectError(h.call('DELETE', '/v1/workflows'), 404, 'WF_ROUTE_NOT_FOUND');
  });

  it.each([
    ['execute: a control character in execution_id', '/v1/workflows/wf/execute', { execution_id: 'a\u0000b' }, 'execution_id must not contain control characters'],
    ['execute: an id over 255 characters', '/v1/workflows/wf/execute', { execution_id: 'x'.repeat(10_000) }, /^execution_id must be at most 255 characters/],
    ['execute: a wrong type', '/v1/workflows/wf/execute', { wait_for_result: 'yes' }, 'wait_for_result must be a boolean, got a string'],
    ['execute: timeout_seconds past the limit', '/v1/workflows/wf/execute', { timeout_seconds: 100_000 }, /^timeout_seconds must be from 1 to/],
    ['execute: an unknown field', '/v1/workflows/wf/execute', { execution_id: 'ok', colour: 'red' }, 'colour is not a known field'],
    ['execute: an array body', '/v1/workflows/wf/execute', [1, 2], 'the request body must be a JSON object, got an array'],
    ['register: a missing field', '/v1/workflows/workers/register', { ...registration(), worker_name: undefined }, 'worker_name is required'],
    ['register: a nested name', '/v1/workflows/workers/register', registration({ workflows: [{ name: '' }] }), 'workflows[0].name must not be empty'],
    ['register: a nested unknown field', '/v1/workflows/workers/register', registration({ activities: [{ name: 'a', x: 1 }] }), 'activities[0].x is not a known field'],
    ['poll: a negative slot count', '/v1/workflows/tasks/poll', { worker_id: 'w', max_workflow_tasks: -1, max_activity_tasks: 1 }, /^max_workflow_tasks must be from 0/],
    ['poll: a missing worker_id', '/v1/workflows/tasks/poll', { max_workflow_tasks: 1, max_activity_tasks: 1 }, 'worker_id is required'],
    ['complete: an unknown command type', '/v1/workflows/tasks/complete', { worker_id: 'w', task_token: 'w1.1', commands: [{ type: 'NOPE' }] }, /^commands\[0\]\.type must be one of/],
    [
      'complete: a bad retry policy',
      '/v1/workflows/tasks/complete',
      {
        worker_id: 'w',
        task_token: 'w1.1',
        commands: [{ type: 'SCHEDULE_ACTIVITY', activity_id: 1, activity_name: 'act', input: [], start_to_close_timeout_ms: 5, retry: { initial_interval_ms: 1 } }],
      },
      'commands[0].retry.backoff_coefficient is required',
    ],
    [
      'complete: a child with an unknown parent close policy',
      '/v1/workflows/tasks/complete',
      { worker_id: 'w', task_token: 'w1.1', commands: [{ type: 'START_CHILD_WORKFLOW', child_id: 1, workflow_name: 'wf', execution_id: 'c', input: null, parent_close_policy: 'KEEP' }] },
      /^commands\[0\]\.parent_close_policy must be one of TERMINATE, REQUEST_CANCEL, ABANDON/,
    ],
    [
      'complete: a child without an execution id',
      '/v1/workflows/tasks/complete',
      { worker_id: 'w', task_token: 'w1.1', commands: [{ type: 'START_CHILD_WORKFLOW', child_id: 1, workflow_name: 'wf', input: null }] },
      'commands[0].execution_id is required',
    ],
    ['complete: a child cancellation of child 0', '/v1/workflows/tasks/complete', { worker_id: 'w', task_token: 'w1.1', commands: [{ type: 'REQUEST_CANCEL_CHILD_WORKFLOW', child_id: 0 }] }, /^commands\[0\]\.child_id must be from 1/],
    ['fail: a failure without message', '/v1/workflows/tasks/fail', { worker_id: 'w', task_token: 'a1.1', failure: { type: 'E' } }, 'failure.message is required'],
    ['fail: a deep cause of the wrong type', '/v1/workflows/tasks/fail', { worker_id: 'w', task_token: 'a1.1', failure: { type: 'E', message: 'm', cause: { type: 1, message: 'm' } } }, 'failure.cause.type must be a string, got a number'],
  ])('answers 422 naming the field for %s', async (_what, path, body, detail) => {
    await expectError(h.call('POST', path, { body }), 422, 'WF_REQUEST_INVALID', detail);
  });

  it.each([
    ['an unknown status', '/v1/workflows/runs?status=DONE', /^status must be one of RUNNING/],
    ['a page size of 0', '/v1/workflows/runs?page_size=0', /^page_size must be from 1 to 1000/],
    ['a page size that is not a number', '/v1/workflows/executions/x/history?page_size=ten', /^page_size must be an integer/],
    ['a forged page token', '/v1/workflows/runs?next_page_token=abc', 'next_page_token is not a token this API issued'],
    ['an unknown query parameter', '/v1/workflows/runs?sort=asc', 'sort is not a known query parameter'],
    ['an id path parameter over 255 characters', `/v1/workflows/executions/${'e'.repeat(300)}`, /^execution_id must be at most 255/],
    ['a malformed URL', '/v1/workflows/executions/%E0%A4%A', 'the URL is malformed'],
    ['a 10,000-character path parameter', `/v1/workflows/executions/${'e'.repeat(10_000)}`, /path parameter is longer than 255/],
  ])('answers 422 naming the parameter for %s', async (_what, path, detail) => {
    await expectError(h.call('GET', path), 422, 'WF_REQUEST_INVALID', detail);
  });

  it('answers 400 to malformed JSON and to __proto__ keys, polluting nothing', async () => {
    await expectError(h.call('POST', '/v1/workflows/wf/execute', { rawBody: '{"execution_id": ' }), 400, 'WF_REQUEST_MALFORMED_JSON');
    await expectError(h.call('POST', '/v1/workflows/wf/execute', { rawBody: '' }), 400, 'WF_REQUEST_MALFORMED_JSON', /empty/);
    const poisoned = ['{"input": {"__proto__": {"polluted": true}}}', '{"input": {"constructor": {"prototype": {"polluted": true}}}}'];
    for (const rawBody of poisoned) {
      await expectError(h.call('POST', '/v1/workflows/wf/execute', { rawBody }), 400, 'WF_REQUEST_MALFORMED_JSON', /__proto__/);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('answers 415 to a body that is not JSON', async () => {
    await expectError(h.call('POST', '/v1/workflows/wf/execute', { rawBody: 'hello', headers: { 'content-type': 'text/plain' } }), 415, 'WF_REQUEST_UNSUPPORTED_MEDIA_TYPE');
    await expectError(
      h.call('POST', '/v1/workflows/tasks/poll', { rawBody: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
      'WF_REQUEST_UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('answers 413 past the body limit and reads a body just under it', async () => {
    const padding = (size: number) => JSON.stringify({ input: 'x'.repeat(size), execution_id: 'big' });
    const overhead = padding(0).length;
    await expectError(h.call('POST', '/v1/workflows/wf/execute', { rawBody: padding(Limits.maxRequestBytes - overhead + 1) }), 413, 'WF_PAYLOAD_TOO_LARGE');
    await expectError(h.call('POST', '/v1/workflows/wf/execute', { rawBody: padding(10 * Limits.maxRequestBytes) }), 413, 'WF_PAYLOAD_TOO_LARGE');
    const atLimit = await h.call('POST', '/v1/workflows/wf/execute', { rawBody: padding(Limits.maxRequestBytes - overhead) });
    expect(atLimit.status).toBe(201);
    expect(atLimit.body.execution_id).toBe('big');
  });

  it('answers 400 to a malformed task token and 404 to an unknown worker session', async () => {
    await expectError(h.call('POST', '/v1/workflows/tasks/complete', { body: { worker_id: workerId, task_token: 'nonsense', commands: [] } }), 400, 'WF_TASK_TOKEN_INVALID');
    await expectError(h.call('POST', '/v1/workflows/tasks/fail', { body: { worker_id: workerId, task_token: 'x1.1', failure: { type: 'E', message: 'm' } } }), 400, 'WF_TASK_TOKEN_INVALID');
    await expectError(h.call('POST', '/v1/workflows/tasks/complete', { body: { worker_id: workerId, task_token: 'w999.1', commands: [] } }), 404, 'WF_TASK_NOT_FOUND');
    await expectError(h.call('POST', '/v1/workflows/tasks/complete', { body: { worker_id: 'ghost', task_token: 'w1.1', commands: [] } }), 404, 'WF_WORKER_SESSION_NOT_FOUND');
    await expectError(h.call('POST', '/v1/workflows/tasks/poll', { body: { worker_id: 'ghost', max_workflow_tasks: 1, max_activity_tasks: 1 } }), 404, 'WF_WORKER_SESSION_NOT_FOUND');
  });

  it('requires commands for a workflow token and refuses them for an activity token', async () => {
    await expectError(h.call('POST', '/v1/workflows/tasks/complete', { body: { worker_id: workerId, task_token: 'w1.1' } }), 422, 'WF_REQUEST_INVALID', /^commands is required/);
    await expectError(h.call('POST', '/v1/workflows/tasks/complete', { body: { worker_id: workerId, task_token: 'a1.1', commands: [] } }), 422, 'WF_REQUEST_INVALID', /^commands is only/);
  });

  it('created nothing for any rejected request, and still serves', async () => {
    const runs = await h.call('GET', '/v1/workflows/runs');
    expect(runs.body.executions.map((e: { execution_id: string }) => e.execution_id)).toEqual(['big']);
    expect((await h.call('GET', '/v1/workflows/workers/whoami')).status).toBe(200);
  });
});
