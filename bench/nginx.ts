// `npm run bench:nginx`: what Debian's NGINX, on the config of `cosyfleet deploy nginx`, adds to
// the time to the first streamed byte. One cosyfleet on loopback (espeak), NGINX in front of it
// with a self-signed certificate; the same streamed POST /v1/tts goes direct (HTTP/1.1) and
// through NGINX (HTTPS/1.1 and HTTP/2, connections kept alive so the TLS handshake is paid once),
// alternating, and the time from sending the request to its first body byte is compared.
// Flags: --rounds N (default 40), --json. The client runs in this process too, so the figures
// include its own event-loop time on both paths alike.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { connect as h2connect } from 'node:http2';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { selfSignedCert, startNginx } from '../src/deploy/nginx/harness.js';
import { defaultNginxOptions } from '../src/deploy/nginx/options.js';
import { renderNginxConfig } from '../src/deploy/nginx/render.js';
import { freePort } from '../src/util/free-port.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '40' }, json: { type: 'boolean', default: false } } });
const rounds = Math.max(1, Number(values.rounds));
const BODY = JSON.stringify({ text: 'The first audio of a streamed answer.', language: 'en', format: 'pcm', stream: true });

/** Milliseconds from sending the request to its first body byte; the rest is read and dropped. */
function firstByteHttp1(send: (onResponse: (res: http.IncomingMessage) => void) => http.ClientRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = send((res) => {
      let first = 0;
      res.on('data', () => {
        if (first === 0) first = performance.now() - start;
      });
      res.on('end', () => (res.statusCode === 200 ? resolve(first) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

const dir = mkdtempSync(join(tmpdir(), 'cosyfleet-bench-nginx-'));
const app = await buildApp(loadConfig({ env: {}, overrides: { port: 0, host: '127.0.0.1', logLevel: 'silent', auth: 'off', instanceMetadata: 'off', dataDir: dir, trustProxy: ['127.0.0.1'], maxConnectionsPerAddress: 0 } }));
const direct = new URL(await app.listen({ port: 0, host: '127.0.0.1' }));
const cert = await selfSignedCert(dir);
const proxyPort = await freePort();
const site = join(dir, 'cosyfleet.conf');
writeFileSync(site, renderNginxConfig({ ...defaultNginxOptions(), upstreams: [direct.host], serverName: 'localhost', cert: cert.cert, key: cert.key, listenAddress: '127.0.0.1', httpsPort: proxyPort, httpPort: 0, accessLog: join(dir, 'access.log') }));
const nginx = await startNginx(join(dir, 'nginx'), site);

const plainAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const tlsAgent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: cert.pem });
const session = h2connect(`https://localhost:${proxyPort}`, { ca: cert.pem });
const headers = { 'content-type': 'application/json' };

const paths = {
  direct: () => firstByteHttp1((cb) => http.request({ host: direct.hostname, port: direct.port, method: 'POST', path: '/v1/tts', headers, agent: plainAgent }, cb)),
  'nginx https/1.1': () => firstByteHttp1((cb) => https.request({ host: '127.0.0.1', servername: 'localhost', port: proxyPort, method: 'POST', path: '/v1/tts', headers, agent: tlsAgent }, cb)),
  'nginx h2': () =>
    new Promise<number>((resolve, reject) => {
      const start = performance.now();
      let first = 0;
      const stream = session.request({ ':method': 'POST', ':path': '/v1/tts', ...headers });
      stream.on('data', () => {
        if (first === 0) first = performance.now() - start;
      });
      stream.on('end', () => resolve(first));
      stream.on('error', reject);
      stream.end(BODY);
    }),
} as const;

try {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(paths).map((k) => [k, []]));
  // Warm-up: the engine's first call, the TLS handshakes, NGINX's upstream connection.
  for (const run of Object.values(paths)) await run();
  for (let i = 0; i < rounds; i++) for (const [name, run] of Object.entries(paths)) samples[name]!.push(await run());
  const base = quantile(samples.direct!, 0.5);
  const rows = Object.entries(samples).map(([path, xs]) => ({ path, p50Ms: quantile(xs, 0.5), p95Ms: quantile(xs, 0.95), overP50Ms: quantile(xs, 0.5) - base }));
  if (values.json) console.log(JSON.stringify({ rounds, rows }, null, 2));
  else {
    console.log(`first streamed byte of POST /v1/tts (pcm, stream:true), ${rounds} rounds each, alternating`);
    console.log('path              p50 ms   p95 ms   p50 over direct');
    for (const r of rows) console.log(`${r.path.padEnd(16)} ${r.p50Ms.toFixed(2).padStart(7)}  ${r.p95Ms.toFixed(2).padStart(7)}  ${r.overP50Ms >= 0 ? '+' : ''}${r.overP50Ms.toFixed(2)}`);
  }
} finally {
  session.close();
  plainAgent.destroy();
  tlsAgent.destroy();
  await nginx.stop();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}
