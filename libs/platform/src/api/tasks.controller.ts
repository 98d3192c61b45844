import { Body, Controller, HttpCode, Post, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { HeartbeatTaskResponse, TasksResponse } from '#workflows/protocol';
import { TasksService } from '../tasks/tasks.service.js';
import { ApiExceptionFilter } from './api-exception.filter.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { CallerNamespace } from './caller-namespace.decorator.js';
import { clientDisconnectSignal } from './client-disconnect.js';
import { parseCompleteRequest, parseFailRequest, parseHeartbeatTaskRequest, parsePollRequest } from './worker-requests.validator.js';

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
    const response = await this.tasks.poll(namespace, request, signal);
    if (response.tasks.length > 0) {
      const release = () => void this.tasks.releaseUndelivered(namespace, request.worker_id, response.tasks);
      // The signal fires when the connection closes before the answer was fully written.
      if (signal.aborted) release();
      else signal.addEventListener('abort', release, { once: true });
    }
    return response;
  }

  /** `POST /v1/workflows/tasks/complete`: completes a leased task; `next` leases more at once. */
  @Post('complete')
  @HttpCode(200)
  complete(@CallerNamespace() namespace: string, @Body() body: unknown): Promise<TasksResponse> {
    return this.tasks.complete(namespace, parseCompleteRequest(body));
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
  fail(@CallerNamespace() namespace: string, @Body() body: unknown): Promise<TasksResponse> {
    return this.tasks.fail(namespace, parseFailRequest(body));
  }
}
