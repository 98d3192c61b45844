import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { RegisterWorkerResponse, ShutdownWorkerResponse, WhoAmIWire } from '#workflows/protocol';
import type { ResolvedPlatformOptions } from '../options/platform.options.js';
import { PLATFORM_OPTIONS } from '../platform.constants.js';
import { WorkerSessionsService } from '../workers/worker-sessions.service.js';
import { ApiExceptionFilter } from './api-exception.filter.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { CallerNamespace } from './caller-namespace.decorator.js';
import { parseIdParam } from './execution-requests.validator.js';
import { parseRegisterRequest, parseShutdownRequest } from './worker-requests.validator.js';

/** Who the caller is, and worker sessions: register, heartbeat and shutdown. */
@Controller('v1/workflows/workers')
@UseGuards(ApiKeyGuard)
@UseFilters(ApiExceptionFilter)
export class WorkersController {
  constructor(
    private readonly sessions: WorkerSessionsService,
    @Inject(PLATFORM_OPTIONS) private readonly options: ResolvedPlatformOptions,
  ) {}

  /** `GET /v1/workflows/workers/whoami`: the platform's URL and the key's namespace. */
  @Get('whoami')
  whoami(@CallerNamespace() namespace: string, @Req() request: FastifyRequest): WhoAmIWire {
    const url = this.options.publicUrl ?? `${request.protocol}://${request.host}`;
    return { scheduler_url: url, namespace, tls: url.startsWith('https:') };
  }

  /** `POST /v1/workflows/workers/register`: opens a worker session. */
  @Post('register')
  @HttpCode(201)
  register(@CallerNamespace() namespace: string, @Body() body: unknown): Promise<RegisterWorkerResponse> {
    return this.sessions.register(namespace, parseRegisterRequest(body));
  }

  /** `POST /v1/workflows/workers/{worker_id}/heartbeat`: keeps the session alive. */
  @Post(':worker_id/heartbeat')
  @HttpCode(200)
  async heartbeat(@CallerNamespace() namespace: string, @Param('worker_id') workerId: string): Promise<{ ok: true }> {
    await this.sessions.heartbeat(namespace, parseIdParam('worker_id', workerId));
    return { ok: true };
  }

  /**
   * `POST /v1/workflows/workers/{worker_id}/shutdown`: closes the session and offers its tasks to
   * other workers at once; those not in `started_task_tokens` go back without a failed attempt.
   */
  @Post(':worker_id/shutdown')
  @HttpCode(200)
  shutdown(@CallerNamespace() namespace: string, @Param('worker_id') workerId: string, @Body() body: unknown): Promise<ShutdownWorkerResponse> {
    return this.sessions.shutdown(namespace, parseIdParam('worker_id', workerId), parseShutdownRequest(body));
  }
}
