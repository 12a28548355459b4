// The service in process mode as a real child process: SIGTERM drains in-flight requests and
// stops the workers before exiting 0; after a SIGKILL of the service (nothing runs its shutdown)
// the workers notice their stdin closing and exit on their own, so none is left behind.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postJson } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const KEY = 'shutdown-test-admin-key-0123456789';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function serve() {
  const dataDir = mkdtempSync(join(tmpdir(), 'cosyfleet-shutdown-'));
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--port', '0', '--workers', 'process', '--worker-processes', '2', '--segment-gap-ms', '0'], {
    env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'info', COSYFLEET_ADMIN_KEY: KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffered = '';
  const collect = (d: Buffer) => {
    buffered += d.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = once(child, 'exit').then(([code, signal]) => {
    rmSync(dataDir, { recursive: true, force: true });
    return { code: code as number | null, signal: signal as string | null };
  });
  await waitFor(() => lines.some((l) => l.includes('cosyfleet is listening')), 'the service to listen', 60_000);
  const address = (JSON.parse(lines.find((l) => l.includes('cosyfleet is listening')) as string) as { address: string }).address;
  await waitFor(async () => (await fetch(`${address}/readyz`)).status === 200, 'the workers to be ready');
  const workers = (await (await fetch(`${address}/v1/admin/workers`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { data: { pid: number }[] };
  const pids = workers.data.map((w) => w.pid);
  assert.equal(pids.length, 2);
  assert.ok(pids.every(alive));
  return { child, lines, exited, address, pids };
}

describe('process mode: shutdown', () => {
  it('SIGTERM: finishes the in-flight request, stops the workers, exits 0', async () => {
    const { child, lines, exited, address, pids } = await serve();
    try {
      const text = Array.from({ length: 40 }, (_, i) => `This is sentence number ${i + 1} of a long request.`).join(' ');
      const inFlight = postJson(`${address}/v1/tts`, { text, format: 'pcm' }, { headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` } });
      await waitFor(() => lines.some((l) => l.includes('"url":"/v1/tts"')), 'the request to arrive');
      child.kill('SIGTERM');
      const res = await inFlight;
      assert.equal(res.status, 200);
      const bytes = (await res.arrayBuffer()).byteLength;
      assert.equal(bytes, Number(res.headers.get('content-length')));
      assert.deepEqual(await exited, { code: 0, signal: null });
      assert.ok(lines.some((l) => l.includes('shut down cleanly')));
      assert.ok(lines.filter((l) => l.includes('"msg":"worker exited"') && l.includes('"reason":"shutdown"')).length === 2, 'both workers were stopped by the service');
      assert.ok(!pids.some(alive), 'no worker outlives the service');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('SIGKILL of the service: the workers exit by themselves', async () => {
    const { child, exited, pids } = await serve();
    child.kill('SIGKILL');
    assert.equal((await exited).signal, 'SIGKILL');
    await waitFor(() => !pids.some(alive), 'the orphaned workers to exit');
  });
});
