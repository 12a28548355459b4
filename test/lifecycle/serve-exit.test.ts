// `cosyfleet serve` as a real child process on a "spot instance": IMDS_ENDPOINT points at the
// metadata stand-in (test/helpers/imds-standin.ts; EC2 itself is the process boundary that
// cannot run here) and IMDS_WATCH is left at `auto`, so the process must find the service
// itself. A long streamed response is held open by a client that has stopped reading (its TCP
// window full: the server cannot finish it), the spot notice is armed, and the log and the
// answers show the order: draining with the request in flight, new work refused, the response
// read to its end, then the drain's end, the shutdown and exit 0 (after which the host completes
// the Auto Scaling lifecycle action; docs/operations.md, "Spot and scale-in").
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImdsStandin } from '../helpers/imds-standin.js';
import { serveProcess } from '../helpers/serve-process.js';
import { postJson } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

// About four minutes of speech: far more PCM (48 kHz) than loopback socket buffers hold, so a
// client that does not read keeps the response in flight.
const TEXT = Array.from({ length: 60 }, (_, i) => `This is sentence number ${i + 1} of a long request that is still streaming.`).join(' ');

const logged = (lines: string[], pattern: RegExp) => lines.findIndex((l) => pattern.test(l));

describe('cosyfleet serve on a spot instance', () => {
  let standin: ImdsStandin;
  let dataDir: string;
  before(async () => {
    standin = new ImdsStandin();
    await standin.start();
    dataDir = mkdtempSync(join(tmpdir(), 'cosyfleet-spot-'));
  });
  after(async () => {
    await standin.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('drains on a spot interruption notice and exits 0 once the in-flight stream is done', async () => {
    const proc = serveProcess(
      {
        AUTH: 'off',
        DATA_DIR: dataDir,
        IMDS_ENDPOINT: standin.origin,
        IMDS_POLL_MS: '50',
        STREAM_STALL_TIMEOUT_MS: '0',
        SHUTDOWN_TIMEOUT_MS: '120000',
        SEGMENT_GAP_MS: '0',
      },
      ['--espeak-workers', '1'],
    );
    try {
      const address = await proc.address;
      await waitFor(() => logged(proc.lines, /watching instance metadata/) >= 0, 'IMDS_WATCH=auto to find the stand-in');

      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = request(`${address}/v1/tts`, { method: 'POST', headers: { 'content-type': 'application/json' } }, resolve);
        req.on('error', reject);
        req.end(JSON.stringify({ text: TEXT, format: 'pcm', sample_rate: 48000, stream: true }));
      });
      assert.equal(res.statusCode, 200);
      res.pause();

      const time = new Date(Date.now() + 120_000);
      standin.armSpot('terminate', time);
      await waitFor(() => logged(proc.lines, /instance draining/) >= 0, 'the drain to begin');
      const draining = JSON.parse(proc.lines[logged(proc.lines, /instance draining/)] as string) as { inFlight: number; reason: string };
      assert.equal(draining.inFlight, 1, 'the held stream is in flight when the drain begins');
      assert.match(draining.reason, /spot interruption: terminate/);

      const ready = await fetch(`${address}/readyz`);
      assert.equal(ready.status, 503);
      assert.match(((await ready.json()) as { detail: string }).detail, /spot interruption/);
      const refused = await postJson(`${address}/v1/tts`, { text: 'A new request.', format: 'pcm' });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '1');
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'instance_draining');
      assert.equal(logged(proc.lines, /instance drain ended/), -1, 'the drain waits for the stream');
      assert.equal(proc.child.exitCode, null);

      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.resume();
      await new Promise<void>((resolve, reject) => {
        res.once('end', resolve);
        res.once('error', reject);
      });
      assert.ok(res.complete, 'the stream ended properly (final chunk), not by a reset');
      assert.equal(bytes % 2, 0);
      assert.ok(bytes / 2 / 48_000 > 120, `all sixty sentences arrived (${bytes} bytes)`);

      assert.equal(await proc.exited, 0);
      const ended = logged(proc.lines, /instance drain ended/);
      const shutting = logged(proc.lines, /shutting down: draining/);
      const clean = logged(proc.lines, /shut down cleanly/);
      assert.ok(logged(proc.lines, /instance draining/) < ended && ended < shutting && shutting < clean, proc.lines.join('\n'));
      assert.equal((JSON.parse(proc.lines[ended] as string) as { outcome: string }).outcome, 'finished');
    } finally {
      if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    }
  });
});
