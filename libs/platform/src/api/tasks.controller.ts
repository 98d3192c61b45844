import { Body, Controller, HttpCode, Post, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { TasksResponse } from '#workflows/protocol';
import { TasksService } from '../tasks/tasks.service.js';
import { ApiExceptionFilter } from './api-exception.filter.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { CallerNamespace } from './caller-namespace.decorator.js';
import { clientDisconnectSignal } from './client-disconnect.js';
import { parseCompleteRequest, parseFailRequest, parsePollRequest } from './worker-requests.validator.js';

/** The worker protocol's task operations. */
@Controller('v1/workflows/tasks')
@UseGuards(ApiKeyGuard)
@UseFilters(ApiExceptionFilter)
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  /** `POST /v1/workflows/tasks/poll`: long poll; a client that disconnects is given nothing. */
  @Post('poll')
  @HttpCode(200)
  poll(@CallerNamespace() namespace: string, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<TasksResponse> {
    return this.tasks.poll(namespace, parsePollRequest(body), clientDisconnectSignal(reply));
  }

  /** `POST /v1/workflows/tasks/complete`: completes a leased task; `next` leases more at once. */
  @Post('complete')
  @HttpCode(200)
  complete(@CallerNamespace() namespace: string, @Body() body: unknown): Promise<TasksResponse> {
    return this.tasks.complete(namespace, parseCompleteRequest(body));
  }

  /** `POST /v1/workflows/tasks/fail`: records a leased task's failure. */
  @Post('fail')
  @HttpCode(200)
  fail(@CallerNamespace() namespace: string, @Body() body: unknown): Promise<TasksResponse> {
    return this.tasks.fail(namespace, parseFailRequest(body));
  }
}
