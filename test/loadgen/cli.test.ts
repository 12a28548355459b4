// `cosyfleet bench` as a command: bad flags (exit 2 with usage), a server that cannot be reached
// or refuses the first request (exit 1 with the reason, no stack trace), the API key from the
// environment, and SIGINT on the real CLI process (exit 130, the report still written).
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { answerError, answerPcm, stubServer, type StubServer } from './stub-server.js';
import { runBenchCommand } from '../../src/loadgen/index.js';
import { waitFor } from '../helpers/wait.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

async function bench(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runBenchCommand(argv, { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('cosyfleet bench, the command', () => {
  let stub: StubServer | undefined;
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
  });

  it('bad flags: exit 2, each problem named, then the usage', async () => {
    const r = await bench(['--url', 'http://127.0.0.1:9', '--concurrency', '4,2', '--level-duration', 'soon']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^cosyfleet bench: --concurrency must increase/m);
    assert.match(r.stderr, /^cosyfleet bench: --level-duration must be a number/m);
    assert.match(r.stderr, /Usage: cosyfleet bench --url URL/);
    assert.equal(r.stdout, '');
    const help = await bench(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--profile-out FILE/);
  });

  it('a server that cannot be reached: exit 1 with the reason and no stack trace (the real CLI process)', async () => {
    const port = await closedPort();
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'bench', '--url', `http://127.0.0.1:${port}`, '--no-progress'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1, stderr);
    assert.match(stderr, new RegExp(`cosyfleet bench: cannot reach http://127\\.0\\.0\\.1:${port}/v1/tts: connect ECONNREFUSED`));
    assert.doesNotMatch(stderr, /^\s+at /m);
  });

  it('a server that refuses the first request: exit 1 with its message; the key from the environment is sent as Bearer', async () => {
    stub = await stubServer((res, _n, req) => (req.headers.authorization === 'Bearer k-123' ? answerPcm(res, 0.1) : answerError(res, 401, 'unauthorized', 'Send Authorization: Bearer <key>.')));
    const args = ['--url', stub.url, '--concurrency', '1', '--level-duration', '0.2', '--warmup', '0', '--chars', '10'];
    const refused = await bench(args);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refused the first request with HTTP 401: unauthorized: Send Authorization/);
    assert.equal(stub.received.length, 1, 'nothing sent after the refusal');
    const ok = await bench(args, { COSYFLEET_BENCH_API_KEY: 'k-123' });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /stopped by completed/);
  });

  it('SIGINT ends the run: what was in flight is aborted, the report is written, exit 130', async () => {
    // The first request (the check before the run) and the next are answered; then nothing is.
    stub = await stubServer((res, n) => {
      if (n <= 2) answerPcm(res, 0.1);
    });
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'bench', '--url', stub.url, '--concurrency', '1', '--level-duration', '60', '--warmup', '0', '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await waitFor(() => (stub as StubServer).received.length === 3, 'the third request to be held');
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    const run = JSON.parse(stdout);
    assert.equal(run.stoppedBy, 'signal');
    assert.deepEqual([run.totals.sent, run.totals.ok, run.totals.aborted], [2, 1, 1]);
    assert.match(stderr, /interrupted; aborting the requests in flight/);
  });
});
