// CORS with an explicit allow-list (CORS_ORIGINS). The default is no cross-origin access at all,
// unlike the official CosyVoice FastAPI server's `*`.
import type { FastifyInstance } from 'fastify';
import cors from '@fastify/cors';

export async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  const allowed = new Set(origins);
  await app.register(cors, {
    origin: (origin, cb) => cb(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: ['X-Request-Id', 'X-Engine', 'X-Sample-Rate', 'X-Audio-Language', 'X-Segments', 'X-Warnings', 'X-Output-Id', 'X-Output-Url', 'X-Cache'],
    maxAge: 600,
  });
}
