// A cosyfleet server in a process of its own for bench/serving.ts, so that what the benchmark's
// client does (building multipart bodies, reading responses) is not counted against the server's
// event loop. Settings come as JSON in argv[2]; the URL goes to stdout once it listens.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';

const overrides = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const dataDir = mkdtempSync(join(tmpdir(), 'cosyfleet-bench-server-'));
const config = loadConfig({ env: {}, overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir, ...overrides } });
const app = await buildApp(config);
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${url}\n`);
process.on('SIGTERM', () => {
  void app.close().then(() => {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
});
