// Adds Retry-After to error responses whose AppError carries one (429 queue_full/overloaded,
// 503 deadline_exceeded). An onError hook on the root instance runs before whichever error
// handler answers, so the native and the OpenAI-shaped routes both send it.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors/app-error.js';

export function registerRetryAfter(app: FastifyInstance): void {
  app.addHook('onError', async (_request, reply, error) => {
    if (error instanceof AppError && error.retryAfterSeconds !== undefined && !reply.raw.headersSent) {
      reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
    }
  });
}
