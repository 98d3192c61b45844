import { Body, Controller, Get, Param, Post, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ExecutionWire, WorkflowDetailWire, WorkflowsListWire } from '#workflows/protocol';
import { ExecutionsService } from '../executions/executions.service.js';
import { ApiExceptionFilter } from './api-exception.filter.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { CallerNamespace } from './caller-namespace.decorator.js';
import { clientDisconnectSignal } from './client-disconnect.js';
import { DEFAULT_WAIT_FOR_RESULT_SECONDS, parseExecuteRequest, parseIdParam } from './execution-requests.validator.js';

/** Registered workflows, and starting executions of them. */
@Controller('v1/workflows')
@UseGuards(ApiKeyGuard)
@UseFilters(ApiExceptionFilter)
export class WorkflowsController {
  constructor(private readonly executions: ExecutionsService) {}

  /** `GET /v1/workflows`: the namespace's registered workflows. */
  @Get()
  async list(@CallerNamespace() namespace: string): Promise<WorkflowsListWire> {
    return { workflows: await this.executions.listWorkflows(namespace) };
  }

  /** `GET /v1/workflows/{workflow_identifier}`: the workflow, its input schema and its signal, query and update handlers. */
  @Get(':workflow_identifier')
  get(@CallerNamespace() namespace: string, @Param('workflow_identifier') name: string): Promise<WorkflowDetailWire> {
    return this.executions.getWorkflow(namespace, parseIdParam('workflow_identifier', name));
  }

  /**
   * `POST /v1/workflows/{workflow_identifier}/execute`: 201 when started, 200 after `wait_for_result`
   * or when `signal` went to an execution already running (signal-with-start).
   */
  @Post(':workflow_identifier/execute')
  async execute(
    @CallerNamespace() namespace: string,
    @Param('workflow_identifier') name: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ExecutionWire> {
    const workflowName = parseIdParam('workflow_identifier', name);
    const request = parseExecuteRequest(body);
    const timeout = request.timeout_seconds ?? DEFAULT_WAIT_FOR_RESULT_SECONDS;
    const signal = request.wait_for_result ? clientDisconnectSignal(reply) : undefined;
    const { execution, created, waited } = await this.executions.execute(namespace, workflowName, request, timeout, signal);
    void reply.status(created && !waited ? 201 : 200);
    return execution;
  }
}
