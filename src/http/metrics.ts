// GET /metrics: Prometheus text exposition of the service's metrics (src/metrics). It carries
// no request content; restrict it at the proxy like any internal endpoint.
import type { FastifyPluginAsync } from 'fastify';
import type { ServiceMetrics } from '../metrics/metrics.js';

export const metricsRoutes: FastifyPluginAsync<{ metrics: ServiceMetrics }> = async (app, { metrics }) => {
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['operations'] } }, async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).header('cache-control', 'no-store').send(body);
  });
};
