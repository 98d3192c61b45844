import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { EventType, type HistoryEvent, type NewEvent } from '#workflows/protocol';
import { replayHistory } from '#workflows/sdk';
import { LongActivities, LongWorkflow } from './fixtures/long.workflow.js';

/**
 * W4: cold replay of a 10,000-event history (R35: within 2 s). Builds the history a run of
 * {@link LongWorkflow} with 2,500 steps records, then replays it with a fresh registry and run,
 * as a worker that does not hold the execution does. Prints the median of `--runs` (default 5).
 */
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const STEPS = 2_500;

function recordedHistory(steps: number): HistoryEvent[] {
  const retry = { initial_interval_ms: 1000, backoff_coefficient: 2, maximum_interval_ms: 100_000, maximum_attempts: 0, non_retryable_error_types: [] };
  const events: NewEvent[] = [
    { event_type: EventType.WorkflowExecutionStarted, attributes: { workflow_name: 'w4', deployment_name: null, input: steps, run_id: 'w4-run' } },
  ];
  for (let n = 0; n < steps; n++) {
    const lastSeen = events.length;
    events.push({ event_type: EventType.WorkflowTaskCompleted, attributes: { last_seen_event_id: lastSeen, worker_name: 'bench', attempt: 1 } });
    const scheduledEventId = events.length + 1;
    events.push({
      event_type: EventType.ActivityTaskScheduled,
      attributes: {
        activity_id: n + 1,
        activity_name: 'step',
        input: [n],
        start_to_close_timeout_ms: 300_000,
        schedule_to_start_timeout_ms: 0,
        schedule_to_close_timeout_ms: 0,
        heartbeat_timeout_ms: 0,
        retry,
      },
    });
    events.push({ event_type: EventType.ActivityTaskStarted, attributes: { scheduled_event_id: scheduledEventId, activity_id: n + 1, attempt: 1, worker_name: 'bench' } });
    events.push({ event_type: EventType.ActivityTaskCompleted, attributes: { scheduled_event_id: scheduledEventId, activity_id: n + 1, attempt: 1, result: n } });
  }
  const base = Date.parse('2026-01-01T00:00:00.000Z');
  return events.map((event, index) => ({ ...event, event_id: index + 1, event_timestamp: new Date(base + index).toISOString() }) as HistoryEvent);
}

const history = recordedHistory(STEPS);
const times: number[] = [];
for (let run = 0; run < runs; run++) {
  const started = performance.now();
  const commands = await replayHistory(LongWorkflow, history, [LongActivities]);
  times.push(performance.now() - started);
  if (commands.length !== 1 || commands[0]!.type !== 'COMPLETE_WORKFLOW') throw new Error('W4 replay did not reach the end');
}
times.sort((a, b) => a - b);
console.log(`W4 cold replay of ${history.length} events: median ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms over ${runs} run(s) (${times.map((t) => t.toFixed(0)).join(', ')})`);
