import { Body, Controller, HttpCode, Post, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { HeartbeatTaskResponse, ReleaseTasksResponse, TaskHistoryResponse, TasksResponse } from '#workflows/protocol';
import { TasksService } from '../tasks/tasks.service.js';
import { ApiExceptionFilter } from './api-exception.filter.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { CallerNamespace } from './caller-namespace.decorator.js';
import { clientDisconnectSignal } from './client-disconnect.js';
import { parseCompleteRequest, parseFailRequest, parseHeartbeatTaskRequest, parsePollRequest, parseReleaseRequest, parseTaskHistoryRequest } from './worker-requests.validator.js';

/** The worker protocol's task operations. */
@Controller('v1/workflows/tasks')
@UseGuards(ApiKeyGuard)
@UseFilters(ApiExceptionFilter)
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  /**
   * `POST /v1/workflows/tasks/poll`: long poll. A client that disconnects is given nothing: the
   * tasks claimed for it, if its answer could not be delivered, are handed back at once.
   */
  @Post('poll')
  @HttpCode(200)
  async poll(@CallerNamespace() namespace: string, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<TasksResponse> {
    const request = parsePollRequest(body);
    const signal = clientDisconnectSignal(reply);
    return this.handBackIfUndelivered(namespace, request.worker_id, signal, await this.tasks.poll(namespace, request, signal));
  }

  /**
   * `POST /v1/workflows/tasks/complete`: completes a leased task; `next` leases the tasks it
   * created to the caller at once (eager dispatch), handed back if the answer is not delivered.
   */
  @Post('complete')
  @HttpCode(200)
  async complete(@CallerNamespace() namespace: string, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<TasksResponse> {
    const request = parseCompleteRequest(body);
    const signal = clientDisconnectSignal(reply);
    return this.handBackIfUndelivered(namespace, request.worker_id, signal, await this.tasks.complete(namespace, request));
  }

  /** `POST /v1/workflows/tasks/release`: tasks a stopping worker received and will not start go back at once, undelivered. */
  @Post('release')
  @HttpCode(200)
  release(@CallerNamespace() namespace: string, @Body() body: unknown): Promise<ReleaseTasksResponse> {
    return this.tasks.release(namespace, parseReleaseRequest(body));
  }

  /** `POST /v1/workflows/tasks/history`: a page of a run's history, for a worker that does not hold the run it was sent new events of. */
  @Post('history')
  @HttpCode(200)
  history(@CallerNamespace() namespace: string, @Body() body: unknown): Promise<TaskHistoryResponse> {
    return this.tasks.history(namespace, parseTaskHistoryRequest(body));
  }

  /** `POST /v1/workflows/tasks/heartbeat`: a running activity attempt is alive, with optional details. */
  @Post('heartbeat')
  @HttpCode(200)
  heartbeat(@CallerNamespace() namespace: string, @Body() body: unknown): Promise<HeartbeatTaskResponse> {
    return this.tasks.heartbeat(namespace, parseHeartbeatTaskRequest(body));
  }

  /** `POST /v1/workflows/tasks/fail`: records a leased task's failure. */
  @Post('fail')
  @HttpCode(200)
  async fail(@CallerNamespace() namespace: string, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<TasksResponse> {
    const request = parseFailRequest(body);
    const signal = clientDisconnectSignal(reply);
    return this.handBackIfUndelivered(namespace, request.worker_id, signal, await this.tasks.fail(namespace, request));
  }

  /**
   * Tasks leased in an answer whose connection closes before it was fully written go back at
   * once (`signal` fires then, see `clientDisconnectSignal`).
   */
  private handBackIfUndelivered(namespace: string, workerId: string, signal: AbortSignal, response: TasksResponse): TasksResponse {
    if (response.tasks.length === 0) return response;
    const release = () => void this.tasks.releaseUndelivered(namespace, workerId, response.tasks);
    if (signal.aborted) release();
    else signal.addEventListener('abort', release, { once: true });
    return response;
  }
}
