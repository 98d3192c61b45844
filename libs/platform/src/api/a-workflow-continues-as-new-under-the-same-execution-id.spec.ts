import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger, type LoggerService } from '@nestjs/common';
import { CommandType, ErrorCode, EventType, ExecutionStatus, PlatformFailureType, type HistoryEvent, type WorkflowTaskWire } from '#workflows/protocol';
import { PlatformTestHarness } from '../testing/platform-test.harness.js';
import { SimulatedWorker } from '../testing/simulated-worker.js';

/** A logger that keeps the platform's warnings, for the once-per-run history warning. */
class WarningsLogger implements LoggerService {
  readonly warnings: string[] = [];
  log(): void {}
  error(): void {}
  warn(message: unknown): void {
    this.warnings.push(String(message));
  }
}

describe('a workflow continues as new under the same execution id', () => {
  let h: PlatformTestHarness;
  let worker: SimulatedWorker;
  const logger = new WarningsLogger();
  beforeAll(async () => {
    // Nest's own start-up lines stay quiet (this file's module registry only); the platform's go to `logger`.
    Logger.overrideLogger(false);
    h = await PlatformTestHarness.start({ logger, historyWarnEvents: 4, historyMaxEvents: 8 });
    worker = await SimulatedWorker.register(h, { workflows: [{ name: 'wf' }, { name: 'next-wf' }] });
  });
  afterAll(async () => {
    await h.close();
  });

  const history = async (id: string, runId?: string): Promise<HistoryEvent[]> => {
    const response = await h.call('GET', `/v1/workflows/executions/${id}/history?page_size=1000${runId ? `&run_id=${encodeURIComponent(runId)}` : ''}`);
    expect(response.status).toBe(200);
    return response.body.events;
  };
  const takeFor = async (id: string): Promise<WorkflowTaskWire> => {
    const task = (await worker.take()) as WorkflowTaskWire;
    expect(task.execution_id).toBe(id);
    return task;
  };
  const completeWith = async (task: WorkflowTaskWire, commands: unknown[]) => {
    const response = await worker.complete(task.task_token, { commands });
    expect(response.status).toBe(200);
  };

  it('counts across runs: wait_for_result answers only when the last run completes, and every run’s history stays readable', async () => {
    const waiting = h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'counter', input: { count: 0 }, wait_for_result: true, timeout_seconds: 30 } });
    const runIds: string[] = [];
    for (let count = 0; count < 3; count++) {
      const task = await takeFor('counter');
      runIds.push(task.run_id);
      const started = task.history[0]!;
      expect(started.attributes).toMatchObject({ input: { count } });
      if (count < 2) await completeWith(task, [{ type: CommandType.ContinueAsNew, input: { count: count + 1 } }]);
      else await completeWith(task, [{ type: CommandType.CompleteWorkflow, result: { counted: count } }]);
      if (count < 2) {
        // Between runs the execution object is the new run, running: a result wait goes on.
        const between = await h.call('GET', '/v1/workflows/executions/counter');
        expect(between.body).toMatchObject({ execution_id: 'counter', status: ExecutionStatus.Running, root_execution_id: 'counter', end_time: null });
        expect(between.body.run_id).not.toBe(task.run_id);
      }
    }
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ execution_id: 'counter', run_id: runIds[2], status: ExecutionStatus.Completed, result: { counted: 2 } });
    expect(new Set(runIds).size).toBe(3);

    // The chain: each closed run names the next, each new run names the one it continues.
    for (const [index, runId] of runIds.entries()) {
      const events = await history('counter', runId);
      const last = events[events.length - 1]!;
      if (index < 2) {
        expect(last).toMatchObject({ event_type: EventType.WorkflowExecutionContinuedAsNew, attributes: { new_run_id: runIds[index + 1], workflow_name: 'wf', input: { count: index + 1 } } });
      } else {
        expect(last.event_type).toBe(EventType.WorkflowExecutionCompleted);
      }
      if (index > 0) expect(events[0]!.attributes).toMatchObject({ run_id: runId, continued_from_run_id: runIds[index - 1] });
    }
    // Without run_id, the current (last) run.
    expect((await history('counter'))[0]!.attributes).toMatchObject({ run_id: runIds[2] });
  });

  it('answers 404 for a run id that is not one of the execution’s runs, 422 for a malformed one', async () => {
    await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'other' } });
    const otherRun = (await h.call('GET', '/v1/workflows/executions/other')).body.run_id as string;
    const foreign = await h.call('GET', `/v1/workflows/executions/counter/history?run_id=${otherRun}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toMatchObject({ code: ErrorCode.ExecutionNotFound, detail: `execution 'counter' has no run '${otherRun}'` });
    expect((await h.call('GET', '/v1/workflows/executions/missing/history?run_id=x')).status).toBe(404);
    expect((await h.call('GET', '/v1/workflows/executions/counter/history?run_id=a%0Ab')).status).toBe(422);
    await completeWith(await takeFor('other'), [{ type: CommandType.CompleteWorkflow, result: null }]);
  });

  it('continues as another registered workflow when the command names it, and validates the command', async () => {
    await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'switch' } });
    const task = await takeFor('switch');
    const bad = await worker.complete(task.task_token, { commands: [{ type: CommandType.ContinueAsNew, input: null, workflow_name: '' }] });
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toMatch(/^commands\[0\]\.workflow_name/);
    await completeWith(task, [{ type: CommandType.ContinueAsNew, input: 'x', workflow_name: 'next-wf' }]);
    const next = await takeFor('switch');
    expect(next.workflow_name).toBe('next-wf');
    expect((await h.call('GET', '/v1/workflows/executions/switch')).body).toMatchObject({ workflow_name: 'next-wf', status: ExecutionStatus.Running });
    await completeWith(next, [{ type: CommandType.CompleteWorkflow, result: null }]);
  });

  it('suggests continuing as new at the soft limit, warns once per run, and ends the run FAILED at the hard limit', async () => {
    await h.call('POST', '/v1/workflows/wf/execute', { body: { execution_id: 'grows' } });
    const signal = () => h.call('POST', '/v1/workflows/executions/grows/signals', { body: { name: 'poke' } });
    let task = await takeFor('grows');
    expect(task).toMatchObject({ history_length: 1, continue_as_new_suggested: false });
    await completeWith(task, []); // 2 events
    await signal(); // 3
    task = await takeFor('grows');
    expect(task).toMatchObject({ history_length: 3, continue_as_new_suggested: false });
    await completeWith(task, []); // 4: the soft limit
    const warnings = () => logger.warnings.filter((line) => line.includes('"grows"'));
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatch(/4 history events, past the soft limit of 4/);
    await signal(); // 5
    task = await takeFor('grows');
    expect(task).toMatchObject({ history_length: 5, continue_as_new_suggested: true });
    await completeWith(task, []); // 6
    await signal(); // 7
    task = await takeFor('grows');
    await completeWith(task, [{ type: CommandType.StartTimer, timer_id: 1, duration_ms: 60_000 }]); // would be 9
    expect(warnings()).toHaveLength(1);
    const execution = (await h.call('GET', '/v1/workflows/executions/grows')).body;
    expect(execution).toMatchObject({ status: ExecutionStatus.Failed, result: null });
    const events = await history('grows');
    expect(events.map((event) => event.event_type).slice(-2)).toEqual([EventType.WorkflowExecutionSignaled, EventType.WorkflowExecutionFailed]);
    expect(events[events.length - 1]!.attributes).toMatchObject({ failure: { type: PlatformFailureType.HistoryLimitExceeded } });
  });
});
