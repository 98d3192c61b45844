import {
  CommandType,
  ErrorCode,
  Limits,
  ParentClosePolicy,
  parseTaskToken,
  type Command,
  type CompleteTaskRequest,
  type Failure,
  type FailTaskRequest,
  type HandlerRegistrationWire,
  type HeartbeatTaskRequest,
  type JsonSchema,
  type JsonValue,
  type PollTasksRequest,
  type RegisterWorkerRequest,
  type ReleaseTasksRequest,
  type RetryPolicyWire,
  type ShutdownWorkerRequest,
  type TaskHistoryRequest,
  type TaskSlots,
  type WorkflowRegistrationWire,
} from '#workflows/protocol';
import { PlatformError } from '../errors/platform.error.js';
import { JsonFields, invalid } from './json-fields.js';

/** Most workflows or activities one worker may register. */
const MAX_REGISTERED_NAMES = 10_000;
/** Most signal, query or update handlers of one kind one workflow may register. */
const MAX_HANDLERS = 1000;
/** Most commands one workflow task may answer with. */
const MAX_COMMANDS = 10_000;
/** Most tasks one poll may ask for, of each kind. */
const MAX_SLOTS = 1000;
/** Most started task tokens one shutdown may list (a list this long already nears the body limit). */
const MAX_STARTED_TOKENS = 100_000;
/** Deepest `cause` chain of a failure. */
const MAX_CAUSE_DEPTH = 32;
/** Longest failure message or stack. */
const MAX_TEXT = 64 * 1024;

/** Validates `POST /v1/workflows/workers/register`. */
export function parseRegisterRequest(body: unknown): RegisterWorkerRequest {
  const fields = JsonFields.of(body, '', [
    'worker_name',
    'deployment_name',
    'sdk_version',
    'workflows',
    'activities',
    'max_concurrent_workflow_tasks',
    'max_concurrent_activity_tasks',
  ]);
  return {
    worker_name: fields.id('worker_name'),
    deployment_name: fields.id('deployment_name'),
    sdk_version: fields.string('sdk_version', Limits.maxIdLength),
    workflows: fields.array('workflows', MAX_REGISTERED_NAMES).map((item, index) => parseWorkflowRegistration(item, `workflows[${index}]`)),
    activities: fields
      .array('activities', MAX_REGISTERED_NAMES)
      .map((item, index) => ({ name: JsonFields.of(item, `activities[${index}]`, ['name']).id('name') })),
    max_concurrent_workflow_tasks: fields.integer('max_concurrent_workflow_tasks', 0, 1_000_000),
    max_concurrent_activity_tasks: fields.integer('max_concurrent_activity_tasks', 0, 1_000_000),
  };
}

/**
 * Validates `POST /v1/workflows/workers/{worker_id}/shutdown`. No body, or one without
 * `started_task_tokens` (an older worker), asks for every held task to count as started. A
 * list item that is not a task token is a `WF_TASK_TOKEN_INVALID` naming it.
 */
export function parseShutdownRequest(body: unknown): ShutdownWorkerRequest {
  if (body === undefined || body === null) return {};
  const fields = JsonFields.of(body, '', ['started_task_tokens']);
  if (!fields.has('started_task_tokens')) return {};
  return { started_task_tokens: parseTokens(fields, 'started_task_tokens') };
}

/** Validates `POST /v1/workflows/tasks/release` (addition, issue 11): tasks a stopping worker received and will not start. */
export function parseReleaseRequest(body: unknown): ReleaseTasksRequest {
  const fields = JsonFields.of(body, '', ['worker_id', 'task_tokens']);
  return { worker_id: fields.id('worker_id'), task_tokens: parseTokens(fields, 'task_tokens') };
}

/** A list of task tokens, each checked, at most {@link MAX_STARTED_TOKENS}. */
function parseTokens(fields: JsonFields, name: string): string[] {
  return fields.array(name, MAX_STARTED_TOKENS).map((token, index) => {
    if (parseTaskToken(token) === null) {
      const got = JSON.stringify(token)?.slice(0, 64) ?? 'nothing';
      throw new PlatformError(
        ErrorCode.TaskTokenInvalid,
        `${fields.path(name)}[${index}] is not a task token (expected w<id>.<attempt>, a<id>.<attempt> or q<id>.<attempt>; got ${got})`,
      );
    }
    return token as string;
  });
}

/**
 * Validates one registered workflow: its name, and optionally its input schema and its signal,
 * query and update handlers (each a name and an optional input schema). The schemas' shape only:
 * that they compile is checked by the `PayloadValidator`.
 */
function parseWorkflowRegistration(value: unknown, path: string): WorkflowRegistrationWire {
  const fields = JsonFields.of(value, path, ['name', 'input_schema', 'signals', 'queries', 'updates']);
  const workflow: WorkflowRegistrationWire = { name: fields.id('name') };
  const schema = parseSchema(fields, 'input_schema');
  if (schema !== undefined) workflow.input_schema = schema;
  for (const list of ['signals', 'queries', 'updates'] as const) {
    if (!fields.has(list)) continue;
    workflow[list] = fields.array(list, MAX_HANDLERS).map((item, index) => {
      const handlerFields = JsonFields.of(item, `${fields.path(list)}[${index}]`, ['name', 'input_schema']);
      const handler: HandlerRegistrationWire = { name: handlerFields.id('name') };
      const handlerSchema = parseSchema(handlerFields, 'input_schema');
      if (handlerSchema !== undefined) handler.input_schema = handlerSchema;
      return handler;
    });
  }
  return workflow;
}

/** A JSON Schema is an object or a boolean; `null` and absent mean none. */
function parseSchema(fields: JsonFields, name: string): JsonSchema | undefined {
  if (!fields.has(name)) return undefined;
  const value = fields.json(name);
  if (typeof value !== 'boolean' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw invalid(fields.path(name), 'must be a JSON Schema: an object or a boolean');
  }
  return value as JsonSchema;
}

/** Validates `POST /v1/workflows/tasks/poll`; `wait_ms` is capped at `Limits.maxPollWaitMs`. */
export function parsePollRequest(body: unknown): PollTasksRequest {
  const fields = JsonFields.of(body, '', ['worker_id', 'wait_ms', 'max_workflow_tasks', 'max_activity_tasks']);
  const request: PollTasksRequest = {
    worker_id: fields.id('worker_id'),
    max_workflow_tasks: fields.integer('max_workflow_tasks', 0, MAX_SLOTS),
    max_activity_tasks: fields.integer('max_activity_tasks', 0, MAX_SLOTS),
  };
  const waitMs = fields.optionalInteger('wait_ms', 0, Number.MAX_SAFE_INTEGER);
  if (waitMs !== undefined) request.wait_ms = Math.min(waitMs, Limits.maxPollWaitMs);
  return request;
}

/** Validates `POST /v1/workflows/tasks/complete` (which of `commands`/`result` fits the token is checked later). */
export function parseCompleteRequest(body: unknown): CompleteTaskRequest {
  const fields = JsonFields.of(body, '', ['worker_id', 'task_token', 'commands', 'result', 'next']);
  const request: CompleteTaskRequest = { worker_id: fields.id('worker_id'), task_token: fields.string('task_token', Limits.maxIdLength) };
  if (fields.has('commands')) request.commands = fields.array('commands', MAX_COMMANDS).map((item, index) => parseCommand(item, `commands[${index}]`));
  if (Object.hasOwn(body as object, 'result')) request.result = fields.json('result') as JsonValue | null;
  if (fields.has('next')) request.next = parseSlots(fields.object('next', ['max_workflow_tasks', 'max_activity_tasks']));
  return request;
}

/** Validates `POST /v1/workflows/tasks/fail`. */
export function parseFailRequest(body: unknown): FailTaskRequest {
  const fields = JsonFields.of(body, '', ['worker_id', 'task_token', 'failure', 'next']);
  const request: FailTaskRequest = {
    worker_id: fields.id('worker_id'),
    task_token: fields.string('task_token', Limits.maxIdLength),
    failure: parseFailure(fields.raw('failure'), 'failure', 0),
  };
  if (fields.has('next')) request.next = parseSlots(fields.object('next', ['max_workflow_tasks', 'max_activity_tasks']));
  return request;
}

/** Validates `POST /v1/workflows/tasks/heartbeat`; `details` is any JSON, bounded like a result. */
export function parseHeartbeatTaskRequest(body: unknown): HeartbeatTaskRequest {
  const fields = JsonFields.of(body, '', ['worker_id', 'task_token', 'details']);
  const request: HeartbeatTaskRequest = { worker_id: fields.id('worker_id'), task_token: fields.string('task_token', Limits.maxIdLength) };
  if (Object.hasOwn(body as object, 'details')) request.details = fields.json('details') as JsonValue | null;
  return request;
}

/** Most events one `tasks/history` page carries. */
export const MAX_HISTORY_PAGE = 5000;

/** Validates `POST /v1/workflows/tasks/history`. */
export function parseTaskHistoryRequest(body: unknown): Required<TaskHistoryRequest> {
  const fields = JsonFields.of(body, '', ['worker_id', 'execution_id', 'run_id', 'after_event_id', 'page_size']);
  return {
    worker_id: fields.id('worker_id'),
    execution_id: fields.string('execution_id', Limits.maxIdLength),
    run_id: fields.string('run_id', Limits.maxIdLength),
    after_event_id: fields.optionalInteger('after_event_id', 0, Number.MAX_SAFE_INTEGER) ?? 0,
    page_size: fields.optionalInteger('page_size', 1, MAX_HISTORY_PAGE) ?? 1000,
  };
}

function parseSlots(fields: JsonFields): TaskSlots {
  return {
    max_workflow_tasks: fields.integer('max_workflow_tasks', 0, MAX_SLOTS),
    max_activity_tasks: fields.integer('max_activity_tasks', 0, MAX_SLOTS),
  };
}

/** Validates a structured failure and its `cause` chain. */
export function parseFailure(value: unknown, path: string, depth: number): Failure {
  if (value === undefined) throw invalid(path, 'is required');
  if (depth > MAX_CAUSE_DEPTH) throw invalid(path, `has a cause chain deeper than ${MAX_CAUSE_DEPTH}`);
  const fields = JsonFields.of(value, path, ['type', 'message', 'stack', 'non_retryable', 'details', 'cause']);
  const failure: Failure = { type: fields.string('type', Limits.maxIdLength), message: fields.string('message', MAX_TEXT) };
  const stack = fields.optionalString('stack', MAX_TEXT);
  if (stack !== undefined) failure.stack = stack;
  const nonRetryable = fields.optionalBoolean('non_retryable');
  if (nonRetryable !== undefined) failure.non_retryable = nonRetryable;
  if (fields.has('details')) failure.details = fields.json('details') as JsonValue;
  if (fields.has('cause')) failure.cause = parseFailure(fields.raw('cause'), fields.path('cause'), depth + 1);
  return failure;
}

function parseRetryPolicy(fields: JsonFields): RetryPolicyWire {
  return {
    initial_interval_ms: fields.integer('initial_interval_ms', 0, Number.MAX_SAFE_INTEGER),
    backoff_coefficient: fields.number('backoff_coefficient', 1, 1000),
    maximum_interval_ms: fields.integer('maximum_interval_ms', 0, Number.MAX_SAFE_INTEGER),
    maximum_attempts: fields.integer('maximum_attempts', 0, Number.MAX_SAFE_INTEGER),
    non_retryable_error_types: fields.array('non_retryable_error_types', 1000).map((type, index) => {
      if (typeof type !== 'string') throw invalid(`${fields.path('non_retryable_error_types')}[${index}]`, 'must be a string');
      return type;
    }),
  };
}

const SCHEDULE_ACTIVITY_FIELDS = [
  'type',
  'activity_id',
  'activity_name',
  'input',
  'start_to_close_timeout_ms',
  'schedule_to_start_timeout_ms',
  'schedule_to_close_timeout_ms',
  'heartbeat_timeout_ms',
  'retry',
] as const;

const START_CHILD_FIELDS = ['type', 'child_id', 'workflow_name', 'execution_id', 'input', 'parent_close_policy', 'deployment_name'] as const;
const PARENT_CLOSE_POLICIES: readonly string[] = Object.values(ParentClosePolicy);

/** Validates one command of a workflow task's completion. */
export function parseCommand(value: unknown, path: string): Command {
  const type = JsonFields.of(value, path, [...SCHEDULE_ACTIVITY_FIELDS, ...START_CHILD_FIELDS, 'result', 'failure', 'reason', 'timer_id', 'duration_ms', 'update_id', 'marker_name', 'details']).raw('type');
  switch (type) {
    case CommandType.ScheduleActivity: {
      const fields = JsonFields.of(value, path, SCHEDULE_ACTIVITY_FIELDS);
      // Absent optional timeouts (an older SDK) mean none, as 0 does on the wire.
      const optionalMs = (name: string) => fields.optionalInteger(name, 0, Number.MAX_SAFE_INTEGER) ?? 0;
      const input = fields.array('input', 10_000);
      fields.json('input');
      return {
        type,
        activity_id: fields.integer('activity_id', 0, Limits.maxSequenceId),
        activity_name: fields.id('activity_name'),
        input: input as JsonValue[],
        start_to_close_timeout_ms: fields.integer('start_to_close_timeout_ms', 1, Number.MAX_SAFE_INTEGER),
        schedule_to_start_timeout_ms: optionalMs('schedule_to_start_timeout_ms'),
        schedule_to_close_timeout_ms: optionalMs('schedule_to_close_timeout_ms'),
        heartbeat_timeout_ms: optionalMs('heartbeat_timeout_ms'),
        retry: parseRetryPolicy(
          fields.object('retry', ['initial_interval_ms', 'backoff_coefficient', 'maximum_interval_ms', 'maximum_attempts', 'non_retryable_error_types']),
        ),
      };
    }
    case CommandType.CompleteWorkflow: {
      const fields = JsonFields.of(value, path, ['type', 'result']);
      return { type, result: fields.json('result') as JsonValue | null };
    }
    case CommandType.FailWorkflow: {
      JsonFields.of(value, path, ['type', 'failure']);
      return { type, failure: parseFailure((value as { failure?: unknown }).failure, `${path}.failure`, 0) };
    }
    case CommandType.CancelWorkflow: {
      const fields = JsonFields.of(value, path, ['type', 'reason']);
      return { type, reason: fields.optionalString('reason', Limits.maxReasonLength) ?? null };
    }
    case CommandType.StartTimer: {
      const fields = JsonFields.of(value, path, ['type', 'timer_id', 'duration_ms']);
      return {
        type,
        timer_id: fields.integer('timer_id', 0, Limits.maxSequenceId),
        duration_ms: fields.integer('duration_ms', 1, Number.MAX_SAFE_INTEGER),
      };
    }
    case CommandType.CancelTimer: {
      const fields = JsonFields.of(value, path, ['type', 'timer_id']);
      return { type, timer_id: fields.integer('timer_id', 0, Limits.maxSequenceId) };
    }
    case CommandType.RequestCancelActivity: {
      const fields = JsonFields.of(value, path, ['type', 'activity_id']);
      return { type, activity_id: fields.integer('activity_id', 0, Limits.maxSequenceId) };
    }
    case CommandType.CompleteUpdate: {
      const fields = JsonFields.of(value, path, ['type', 'update_id', 'result', 'failure']);
      const failure = fields.has('failure') ? parseFailure(fields.raw('failure'), fields.path('failure'), 0) : null;
      const result = fields.json('result') as JsonValue | null;
      if (failure && result !== null) throw invalid(fields.path('result'), 'must be absent or null when failure is given');
      return { type, update_id: fields.id('update_id'), result, failure };
    }
    case CommandType.ContinueAsNew: {
      const fields = JsonFields.of(value, path, ['type', 'input', 'workflow_name']);
      const workflowName = fields.optionalId('workflow_name');
      const input = fields.json('input') as JsonValue | null;
      return workflowName === undefined ? { type, input } : { type, input, workflow_name: workflowName };
    }
    case CommandType.RecordMarker: {
      const fields = JsonFields.of(value, path, ['type', 'marker_name', 'details']);
      return { type, marker_name: fields.id('marker_name'), details: fields.json('details') as JsonValue };
    }
    case CommandType.StartChildWorkflow: {
      const fields = JsonFields.of(value, path, START_CHILD_FIELDS);
      const policy = fields.optionalString('parent_close_policy', 32);
      if (policy !== undefined && !PARENT_CLOSE_POLICIES.includes(policy)) {
        throw invalid(fields.path('parent_close_policy'), `must be one of ${PARENT_CLOSE_POLICIES.join(', ')} (got ${JSON.stringify(policy)})`);
      }
      const deploymentName = fields.optionalId('deployment_name');
      return {
        type,
        child_id: fields.integer('child_id', 1, Limits.maxSequenceId),
        workflow_name: fields.id('workflow_name'),
        execution_id: fields.id('execution_id'),
        input: fields.json('input') as JsonValue | null,
        ...(policy === undefined ? {} : { parent_close_policy: policy as ParentClosePolicy }),
        ...(deploymentName === undefined ? {} : { deployment_name: deploymentName }),
      };
    }
    case CommandType.RequestCancelChildWorkflow: {
      const fields = JsonFields.of(value, path, ['type', 'child_id']);
      return { type, child_id: fields.integer('child_id', 1, Limits.maxSequenceId) };
    }
    default:
      throw invalid(`${path}.type`, `must be one of ${Object.values(CommandType).join(', ')} (got ${JSON.stringify(type)?.slice(0, 64) ?? 'nothing'})`);
  }
}
