// Starts the real service on an ephemeral loopback port for end-to-end tests.
import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildOptions } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/config.js';

export interface TestServer {
  app: FastifyInstance;
  url: string;
  config: Config;
  close(): Promise<void>;
}

export async function startTestServer(overrides: Partial<Record<keyof Config, unknown>> = {}, options: BuildOptions = {}): Promise<TestServer> {
  const config = loadConfig({ env: {}, overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent', espeakWorkers: 2, ...overrides } });
  const app = await buildApp(config, options);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url, config, close: () => app.close() };
}

export async function postJson(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
}
