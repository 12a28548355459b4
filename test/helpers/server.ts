// Starts the real service on an ephemeral loopback port for end-to-end tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  // A fresh DATA_DIR per server unless the test names one (to restart on the same data), so no
  // test sees another's database. AUTH=off unless the test asks for keys: the suites of other
  // capabilities are about those; test/http/auth.test.ts and the tenancy tests run with keys.
  const ownDir = overrides.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'cosyfleet-data-')) : undefined;
  const config = loadConfig({
    env: {},
    overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent', espeakWorkers: 2, auth: 'off', instanceMetadata: 'off', ...(ownDir ? { dataDir: ownDir } : {}), ...overrides },
  });
  const app = await buildApp(config, options);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    url,
    config,
    close: async () => {
      await app.close();
      if (ownDir) rmSync(ownDir, { recursive: true, force: true });
    },
  };
}

export async function postJson(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
}
