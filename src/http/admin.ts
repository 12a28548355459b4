import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from './context.js';

export const adminRoutes: FastifyPluginAsync<AppContext & { adminKey: string }> = async () => {};
