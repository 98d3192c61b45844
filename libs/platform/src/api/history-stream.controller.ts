import { Controller, Get, Inject, Param, Query, Req, Res, UseFilters, UseGuards, type LoggerService } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HistoryEvent } from '#workflows/protocol';
import { HistoryStreamService } from '../executions/history-stream.service.js';
import { PLATFORM_LOGGER } from '../platform.constants.js';
import { ApiExceptionFilter } from './api-exception.filter.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { CallerNamespace } from './caller-namespace.decorator.js';
import { clientDisconnectSignal } from './client-disconnect.js';
import { parseIdParam } from './execution-requests.validator.js';
import { parseStreamStart } from './interaction-requests.validator.js';

/** An execution's live history, as Server-Sent Events. */
@Controller('v1/workflows/executions')
@UseGuards(ApiKeyGuard)
@UseFilters(ApiExceptionFilter)
export class HistoryStreamController {
  constructor(
    private readonly streams: HistoryStreamService,
    @Inject(PLATFORM_LOGGER) private readonly logger: LoggerService | null,
  ) {}

  /**
   * `GET /v1/workflows/executions/{execution_id}/stream`: the events after `Last-Event-ID` (or
   * `?last_event_id=`), then each new one, as `id`/`event`/`data` frames; a keep-alive comment
   * when nothing happened for a while; the response ends after the terminal event. Errors
   * (bad id, unknown execution) are answered as JSON before the stream starts.
   */
  @Get(':execution_id/stream')
  async stream(
    @CallerNamespace() namespace: string,
    @Param('execution_id') executionId: string,
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const id = parseIdParam('execution_id', executionId);
    const after = parseStreamStart(query, request.headers['last-event-id']);
    await this.streams.assertExists(namespace, id);

    // From here the response is written by hand: neither Fastify nor Nest sends anything.
    reply.hijack();
    const raw = reply.raw;
    const signal = clientDisconnectSignal(reply);
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    raw.flushHeaders();
    try {
      for await (const item of this.streams.events(namespace, id, after, signal)) {
        if (signal.aborted) break;
        if (!raw.write(item ? frame(item) : ': keep-alive\n\n')) await drained(raw, signal);
      }
    } catch (error) {
      // The client reconnects with Last-Event-ID and misses nothing.
      this.logger?.error(`Streaming the history of an execution failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      raw.end();
    }
  }
}

/** One event as an SSE frame (JSON has no raw newlines, so `data` is one line). */
function frame(event: HistoryEvent): string {
  return `id: ${event.event_id}\nevent: ${event.event_type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Resolves when the response can take more, or the client left. */
function drained(raw: FastifyReply['raw'], signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      raw.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    raw.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
