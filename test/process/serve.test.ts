// The `cosyfleet serve` process itself: boot-time config validation, the first API key a fresh
// install prints, and graceful shutdown on SIGTERM (stop accepting, drain in-flight work, exit
// 0), on a real child process.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postJson } from '../helpers/server.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

function startCli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  // Each run gets its own data directory so no test writes into the checkout's ./data.
  const dataDir = mkdtempSync(join(tmpdir(), 'cosyfleet-cli-'));
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...process.env, DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffered = '';
  const collect = (data: Buffer) => {
    buffered += data.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = once(child, 'exit').then(([code]) => {
    rmSync(dataDir, { recursive: true, force: true });
    return code as number | null;
  });
  return { child, lines, exited };
}

async function waitForLine(lines: string[], pattern: RegExp, ms = 30_000): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const hit = lines.find((l) => pattern.test(l));
    if (hit) return hit;
    if (Date.now() > until) assert.fail(`no line matching ${pattern} in:\n${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('cosyfleet serve', () => {
  it('refuses to start on bad settings, naming each one', async () => {
    const { lines, exited } = startCli(['serve', '--port', 'eighty'], { LOG_LEVEL: 'loud', MAX_TEXT_CHARS: '-3' });
    assert.equal(await exited, 2);
    const out = lines.join('\n');
    assert.match(out, /PORT|--port/);
    assert.match(out, /LOG_LEVEL/);
    assert.match(out, /MAX_TEXT_CHARS/);
    assert.doesNotMatch(out, /listening/);
  });

  it('drains an in-flight request on SIGTERM, refuses new ones, and exits 0', async () => {
    const { child, lines, exited } = startCli(['serve', '--port', '0', '--espeak-workers', '1', '--segment-gap-ms', '0', '--shutdown-timeout-ms', '120000'], { LOG_LEVEL: 'info' });
    try {
      const listening = await waitForLine(lines, /cosyfleet is listening/);
      const address = (JSON.parse(listening) as { address: string }).address;
      // The default AUTH=keys on a fresh data directory: the first admin key is printed once.
      const key = (await waitForLine(lines, /^\s+cf_[A-Za-z0-9_-]{43}$/)).trim();
      assert.equal(lines.filter((l) => l.includes(key)).length, 1, 'the key is printed once and never logged');
      const refused = await postJson(`${address}/v1/tts`, { text: 'hello', format: 'pcm' });
      assert.equal(refused.status, 401);
      await refused.arrayBuffer();
      const seen = lines.filter((l) => /"url":"\/v1\/tts"/.test(l)).length;
      const text = Array.from({ length: 40 }, (_, i) => `This is sentence number ${i + 1} of a long request.`).join(' ');
      const inFlight = postJson(`${address}/v1/tts`, { text, format: 'pcm' }, { headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } });
      // The long request's own log line (the refused one logged its line already).
      const until = Date.now() + 30_000;
      while (lines.filter((l) => /"url":"\/v1\/tts"/.test(l)).length <= seen) {
        if (Date.now() > until) assert.fail(`the long request never arrived:\n${lines.join('\n')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill('SIGTERM');
      await waitForLine(lines, /shutting down: draining/);
      // A generous drain timeout: on a loaded machine the forty sentences may take a while,
      // and what is under test is that the drain waits for them, not how fast they are.
      const res = await inFlight.catch((err: unknown) => assert.fail(`in-flight request failed: ${String(err)}\n${lines.join('\n')}`));
      assert.equal(res.status, 200);
      const bytes = (await res.arrayBuffer()).byteLength;
      assert.equal(bytes, Number(res.headers.get('content-length')));
      assert.ok(bytes / 2 / 22050 > 40, `all forty sentences arrived (${bytes} bytes)`);
      assert.equal(await exited, 0);
      await waitForLine(lines, /shut down cleanly/);
      await assert.rejects(fetch(`${address}/healthz`), 'nothing listens after the exit');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
