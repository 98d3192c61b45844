import { Body, Controller, HttpCode, Param, Post, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { BatchResponse, ExecutionActionResponse, QueryResponse, UpdateResponse } from '#workflows/protocol';
import { ExecutionActionsService } from '../interactions/execution-actions.service.js';
import { QueriesService } from '../interactions/queries.service.js';
import { UpdatesService } from '../interactions/updates.service.js';
import { ApiExceptionFilter } from './api-exception.filter.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { CallerNamespace } from './caller-namespace.decorator.js';
import { clientDisconnectSignal } from './client-disconnect.js';
import { parseIdParam } from './execution-requests.validator.js';
import { parseBatchRequest, parseCancelRequest, parseQueryRequest, parseSignalRequest, parseUpdateRequest } from './interaction-requests.validator.js';

/** Talking to running executions: signals, queries, updates, cancellation and termination, one or in batches. */
@Controller('v1/workflows/executions')
@UseGuards(ApiKeyGuard)
@UseFilters(ApiExceptionFilter)
export class InteractionsController {
  constructor(
    private readonly actions: ExecutionActionsService,
    private readonly queries: QueriesService,
    private readonly updates: UpdatesService,
  ) {}

  /** `POST /v1/workflows/executions/cancel`: asks each execution to cancel; one result per id, in order. */
  @Post('cancel')
  @HttpCode(200)
  cancelMany(@CallerNamespace() namespace: string, @Body() body: unknown): Promise<BatchResponse> {
    const { executionIds, reason } = parseBatchRequest(body);
    return this.actions.batch(namespace, executionIds, 'cancel', reason);
  }

  /** `POST /v1/workflows/executions/terminate`: terminates each execution; one result per id, in order. */
  @Post('terminate')
  @HttpCode(200)
  terminateMany(@CallerNamespace() namespace: string, @Body() body: unknown): Promise<BatchResponse> {
    const { executionIds, reason } = parseBatchRequest(body);
    return this.actions.batch(namespace, executionIds, 'terminate', reason);
  }

  /** `POST /v1/workflows/executions/{execution_id}/signals`: records the signal; 202. */
  @Post(':execution_id/signals')
  @HttpCode(202)
  signal(@CallerNamespace() namespace: string, @Param('execution_id') executionId: string, @Body() body: unknown): Promise<ExecutionActionResponse> {
    const id = parseIdParam('execution_id', executionId);
    const { name, input } = parseSignalRequest(body);
    return this.actions.signal(namespace, id, name, input);
  }

  /** `POST /v1/workflows/executions/{execution_id}/queries`: held until a worker answers or `timeout_seconds` pass. */
  @Post(':execution_id/queries')
  @HttpCode(200)
  query(
    @CallerNamespace() namespace: string,
    @Param('execution_id') executionId: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QueryResponse> {
    const id = parseIdParam('execution_id', executionId);
    const request = parseQueryRequest(body);
    return this.queries.query(
      namespace,
      id,
      { name: request.name, input: request.input, timeoutSeconds: request.timeout_seconds },
      clientDisconnectSignal(reply),
    );
  }

  /** `POST /v1/workflows/executions/{execution_id}/updates`: held until the update completes or `timeout_seconds` pass. */
  @Post(':execution_id/updates')
  @HttpCode(200)
  update(
    @CallerNamespace() namespace: string,
    @Param('execution_id') executionId: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UpdateResponse> {
    const id = parseIdParam('execution_id', executionId);
    const request = parseUpdateRequest(body);
    const params = { name: request.name, input: request.input, timeoutSeconds: request.timeout_seconds };
    return this.updates.update(
      namespace,
      id,
      request.update_id === undefined ? params : { ...params, updateId: request.update_id },
      clientDisconnectSignal(reply),
    );
  }

  /** `POST /v1/workflows/executions/{execution_id}/cancel`: asks the execution to cancel; 202. */
  @Post(':execution_id/cancel')
  @HttpCode(202)
  cancel(@CallerNamespace() namespace: string, @Param('execution_id') executionId: string, @Body() body: unknown): Promise<ExecutionActionResponse> {
    const id = parseIdParam('execution_id', executionId);
    return this.actions.act(namespace, id, 'cancel', parseCancelRequest(body).reason);
  }

  /** `POST /v1/workflows/executions/{execution_id}/terminate`: ends the execution at once; 202. */
  @Post(':execution_id/terminate')
  @HttpCode(202)
  terminate(@CallerNamespace() namespace: string, @Param('execution_id') executionId: string, @Body() body: unknown): Promise<ExecutionActionResponse> {
    const id = parseIdParam('execution_id', executionId);
    return this.actions.act(namespace, id, 'terminate', parseCancelRequest(body).reason);
  }
}
