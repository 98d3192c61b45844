import type { FastifyReply } from 'fastify';

/**
 * A signal that fires when the client goes away before its answer was sent, so that a
 * held request (long poll, result wait) stops waiting and claims nothing for nobody.
 */
export function clientDisconnectSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const response = reply.raw;
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}
