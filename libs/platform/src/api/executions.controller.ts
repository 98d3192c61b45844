import { Controller, Get, Param, Query, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ExecutionWire, HistoryPageWire, RunsPageWire } from '#workflows/protocol';
import { ExecutionsService } from '../executions/executions.service.js';
import { ApiExceptionFilter } from './api-exception.filter.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { CallerNamespace } from './caller-namespace.decorator.js';
import { clientDisconnectSignal } from './client-disconnect.js';
import { parseExecutionQuery, parseHistoryQuery, parseIdParam, parseRunsQuery } from './execution-requests.validator.js';

/** Executions: one, its history, and the namespace's runs. */
@Controller('v1/workflows')
@UseGuards(ApiKeyGuard)
@UseFilters(ApiExceptionFilter)
export class ExecutionsController {
  constructor(private readonly executions: ExecutionsService) {}

  /** `GET /v1/workflows/runs`: executions newest first, filtered and paged. */
  @Get('runs')
  runs(@CallerNamespace() namespace: string, @Query() query: unknown): Promise<RunsPageWire> {
    const { filter, pageSize, cursor } = parseRunsQuery(query);
    return this.executions.runs(namespace, filter, pageSize, cursor);
  }

  /** `GET /v1/workflows/executions/{execution_id}`; `wait_seconds` holds it until the execution closes. */
  @Get('executions/:execution_id')
  get(
    @CallerNamespace() namespace: string,
    @Param('execution_id') executionId: string,
    @Query() query: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ExecutionWire> {
    const id = parseIdParam('execution_id', executionId);
    const { waitSeconds } = parseExecutionQuery(query);
    return this.executions.getExecution(namespace, id, waitSeconds, waitSeconds > 0 ? clientDisconnectSignal(reply) : undefined);
  }

  /** `GET /v1/workflows/executions/{execution_id}/history`: events in pages, of the current run or of `run_id`. */
  @Get('executions/:execution_id/history')
  history(@CallerNamespace() namespace: string, @Param('execution_id') executionId: string, @Query() query: unknown): Promise<HistoryPageWire> {
    const id = parseIdParam('execution_id', executionId);
    const { pageSize, afterEventId, runId } = parseHistoryQuery(query);
    return this.executions.history(namespace, id, afterEventId, pageSize, runId);
  }
}
