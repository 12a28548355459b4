// Piped output is complete (issue 14): `cosyfleet plan --format json | wc -c` stopped at 65,536
// bytes because the CLI called process.exit while most of the report still waited for the pipe
// to drain. The CLI runs here as a real child process whose stdout is read slowly, and what
// arrives is compared with the same report rendered in-process.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runPlanCommand, type Io } from '../../src/planner/command.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const WORKLOAD = fileURLToPath(new URL('../../examples/workload.yaml', import.meta.url));

/**
 * Runs the CLI with its stdout on a real pipe (a FIFO: Node's own stdio pipes are socket pairs,
 * whose larger buffers hide the cut) and reads it a chunk at a time, pausing after each, as a
 * slow `| reader` would.
 */
function runSlowlyRead(args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const fifo = join(mkdtempSync(join(tmpdir(), 'cosyfleet-pipe-')), 'stdout');
  execFileSync('mkfifo', [fifo]);
  const child = spawn('sh', ['-c', 'exec "$0" "$@" > "$FIFO"', process.execPath, '--import', 'tsx', CLI, ...args], {
    env: { ...process.env, FIFO: fifo },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const slow = new Writable({
    highWaterMark: 4096,
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      setTimeout(done, 5);
    },
  });
  createReadStream(fifo, { highWaterMark: 4096 }).pipe(slow);
  return new Promise((resolve) => {
    let code: number | null = null;
    let pending = 2;
    const settle = () => --pending === 0 && resolve({ code, stdout: Buffer.concat(chunks), stderr });
    child.once('exit', (c) => ((code = c), settle()));
    slow.once('finish', settle);
  });
}

test('a big plan JSON piped to a slow reader arrives whole, byte for byte what the in-process render gives', async () => {
  const args = ['plan', WORKLOAD, '--format', 'json', '--no-progress'];
  const child = await runSlowlyRead(args);
  assert.equal(child.code, 0, child.stderr);
  const out: string[] = [];
  const io: Io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: () => true, isTTY: false } };
  assert.equal(await runPlanCommand(args.slice(1), io), 0);
  const inProcess = Buffer.from(out.join(''), 'utf8');
  assert.ok(inProcess.length > 2 * 65_536, `the report is ${inProcess.length} bytes: too small to show a cut pipe`);
  assert.equal(child.stdout.length, inProcess.length);
  // Only the time the plan was generated differs between the two runs.
  const strip = (b: Buffer) => ({ ...(JSON.parse(b.toString('utf8')) as object), generatedAt: '' });
  assert.deepEqual(strip(child.stdout), strip(inProcess));
});

test('a reader that stops early ends the CLI quietly, not with an EPIPE stack trace', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'plan', WORKLOAD, '--format', 'json', '--no-progress'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE|Error/);
});
