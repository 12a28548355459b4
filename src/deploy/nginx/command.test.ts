// `cosyfleet deploy nginx` in-process: flags, refusals, and the values it derives from the
// service's settings. NGINX itself runs on the output in test/deploy/nginx.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/config.js';
import { runDeployNginx } from './command.js';
import { largestServiceBodyBytes, longestSilenceS } from './options.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runDeployNginx(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

describe('cosyfleet deploy nginx', () => {
  it('--help prints the usage and exits 0', async () => {
    const { code, out } = await run(['--help']);
    assert.equal(code, 0);
    assert.match(out, /^Usage: cosyfleet deploy nginx/);
    assert.match(out, /--upstream HOST:PORT/);
  });

  it('derives the body limit and read timeout from the service settings', async () => {
    const service = loadConfig({ env: {} });
    const { out } = await run([]);
    assert.match(out, new RegExp(`client_max_body_size ${largestServiceBodyBytes(service) / 1_048_576}m;`));
    assert.ok(largestServiceBodyBytes(service) > service.maxUploadBytes, 'room for the form around the largest upload');
    assert.match(out, new RegExp(`proxy_read_timeout ${longestSilenceS(service)}s;`));
    assert.ok(longestSilenceS(service) * 1000 > service.queueDeadlineMs + service.requestTimeoutMs);
    // A node closes idle connections after KEEP_ALIVE_TIMEOUT_MS; NGINX must drop them first.
    const idle = Number(/keepalive_timeout (\d+)s;/.exec(out)?.[1]);
    assert.ok(idle * 1000 < service.keepAliveTimeoutMs, `${idle}s`);
  });

  it('writes several nodes, a name, a certificate and the flags it was given to --out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cosyfleet-nginx-cmd-'));
    try {
      const out = join(dir, 'cosyfleet.conf');
      const { code, err } = await run(['--upstream', '10.0.1.11:8080', '--upstream=[fd00::2]:8080', '--server-name', 'tts.example.org', '--cert', '/c.pem', '--key', '/k.pem', '--max-body-mb', '40', '--read-timeout-s', '900', '--http-port', '0', '--max-connections-per-address', '0', '--out', out]);
      assert.equal(code, 0, err);
      assert.match(err, /TRUST_PROXY/);
      const text = readFileSync(out, 'utf8');
      assert.match(text, /server 10\.0\.1\.11:8080 max_fails=1 fail_timeout=10s;\n {4}server \[fd00::2\]:8080 /);
      assert.match(text, /server_name tts\.example\.org;/);
      assert.match(text, /ssl_certificate \/c\.pem;\n {4}ssl_certificate_key \/k\.pem;/);
      assert.match(text, /client_max_body_size 40m;/);
      assert.match(text, /proxy_read_timeout 900s;/);
      assert.doesNotMatch(text, /return 308/, 'no plain-HTTP server with --http-port 0');
      assert.doesNotMatch(text, /^\s*limit_conn/m, 'no per-address bound with 0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what NGINX would misread, naming each problem, with exit code 2', async () => {
    const { code, err, out } = await run(['--upstream', 'node-a', '--cert', '/etc/x;y.pem', '--max-body-mb', '0', '--server-name', 'a b{', '--bogus']);
    assert.equal(code, 2);
    assert.equal(out, '');
    for (const problem of ['unknown option --bogus', '--upstream must be HOST:PORT', '--cert must be a path', '--max-body-mb must be a whole number', '--server-name must be host names']) {
      assert.ok(err.includes(problem), `${problem} in ${err}`);
    }
  });
});
