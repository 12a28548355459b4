// `cosyfleet plan` and `cosyfleet prices refresh` as a user runs them: the real CLI in a child
// process for plan, in-process (with recorded AWS answers) for the price refresh.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runPlanCommand, runPricesCommand, type Io } from '../../src/planner/command.js';
import { awsPriceSource } from '../../src/planner/prices.js';
import { recordedHandler } from './recorded-aws.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const workloadFile = fileURLToPath(new URL('../../examples/workload.yaml', import.meta.url));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function memoryIo(isTTY: boolean): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s), isTTY, columns: 80 } };
}

test('cosyfleet plan --format json: a recommendation and ranked options with the promised fields', async () => {
  const { code, stdout, stderr } = await cli(['plan', workloadFile, '--format', 'json']);
  assert.equal(code, 0, stderr);
  assert.equal(stderr, '', 'no progress bar when stderr is not a terminal');
  const result = JSON.parse(stdout) as { recommendation: Record<string, unknown> | null; options: Record<string, unknown>[]; sensitivity: { scenario: string }[] };
  assert.ok(result.recommendation);
  assert.ok(result.options.length >= 25);
  for (const field of ['instanceType', 'strategy', 'monthlyCostUsd', 'costPerAudioHourUsd', 'peakInstances', 'p95FirstAudioMs', 'sloMet', 'profileSource']) {
    for (const o of result.options) assert.ok(field in o, `${field} missing`);
  }
  const met = result.options.filter((o) => o.sloMet);
  assert.equal(result.recommendation.instanceType, met[0]!.instanceType);
  assert.equal(result.recommendation.monthlyCostUsd, Math.min(...met.map((o) => o.monthlyCostUsd as number)));
  assert.deepEqual([...new Set(result.sensitivity.map((s) => s.scenario))], ['traffic -50%', 'traffic +50%', 'spot price -30%', 'spot price +30%']);
  // The profiles used, per GPU, as data (index i = concurrency i + 1).
  const profiles = (JSON.parse(stdout) as { profiles: { gpu: string; source: string; audioSecondsPerSecond: number[]; maxConcurrency: number }[] }).profiles;
  const l40s = profiles.find((p) => p.gpu === 'L40S')!;
  assert.equal(l40s.source, 'estimated');
  assert.equal(l40s.audioSecondsPerSecond.length, l40s.maxConcurrency);
});

test('cosyfleet plan with an invalid workload exits 2 and names the field', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cosyfleet-cli-'));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, readFileSync(workloadFile, 'utf8').replace('streamingShare: 0.7', 'streamingShare: 1.7'));
  const { code, stderr } = await cli(['plan', bad]);
  assert.equal(code, 2);
  assert.match(stderr, /streamingShare: must be at most 1, got 1\.7/);
  const usage = await cli(['plan', workloadFile, '--format', 'pdf']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--format must be table, json, md or html/);
});

test('cosyfleet plan refuses an absurd or deeply nested workload file with a clear error, not a hang', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cosyfleet-cli-'));
  const huge = join(dir, 'huge.yaml');
  writeFileSync(huge, readFileSync(workloadFile, 'utf8').replace('requestsPerDay: 50000', 'requestsPerDay: 1e12'));
  const refused = await cli(['plan', huge]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /requestsPerDay: must be at most 1000000000, got 1000000000000/);
  const deep = join(dir, 'deep.json');
  writeFileSync(deep, `{"requestsPerDay":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`);
  const nested = await cli(['plan', deep]);
  assert.equal(nested.code, 2);
  assert.match(nested.stderr, /requestsPerDay: must be a number, got an object/);
});

test('the table shows the ranking and recommendation; a progress bar is drawn only on a terminal', async () => {
  const tty = memoryIo(true);
  assert.equal(await runPlanCommand([workloadFile, '--strategies', 'always-on,schedule'], tty), 0);
  const table = tty.out.join('');
  assert.match(table, /^ #\s+instance\s+strategy\s+\$\/month/m);
  assert.match(table, /^Recommendation: \S+ \(\d+ x \S+\), (always-on|schedule): \$/m);
  const bars = tty.err.filter((s) => s.startsWith('\rsimulating ['));
  assert.ok(bars.length >= 2, `progress updates: ${bars.length}`);
  assert.match(bars[bars.length - 1]!, /\] (\d+)\/\1 plans$/, 'ends at total/total');
  assert.equal(tty.err[tty.err.length - 1], '\r\x1b[K', 'the bar is cleared');

  const pipe = memoryIo(false);
  assert.equal(await runPlanCommand([workloadFile, '--strategies', 'always-on'], pipe), 0);
  assert.deepEqual(pipe.err, []);
});

test('html and markdown reports carry SVG charts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cosyfleet-report-'));
  const io = memoryIo(false);
  assert.equal(await runPlanCommand([workloadFile, '--format', 'html', '--out', join(dir, 'plan.html')], io), 0);
  const html = readFileSync(join(dir, 'plan.html'), 'utf8');
  assert.equal((html.match(/<svg /g) ?? []).length, 3);
  assert.match(html, /Monthly cost by instance type and strategy/);
  assert.match(html, /Where common assumptions differ from the data/);
  assert.match(html, /Spot discount/);
  assert.equal(await runPlanCommand([workloadFile, '--format', 'md', '--out', join(dir, 'plan.md')], io), 0);
  const md = readFileSync(join(dir, 'plan.md'), 'utf8');
  assert.match(md, /!\[Cost by strategy\]\(plan-charts\/cost-by-strategy\.svg\)/);
  assert.match(readFileSync(join(dir, 'plan-charts', 'fleet-by-hour.svg'), 'utf8'), /^<svg /);
});

test('prices refresh writes a dated catalog that plan --catalog reads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cosyfleet-prices-'));
  const out = join(dir, 'catalog.json');
  const source = await awsPriceSource('us-east-1', { requestHandler: recordedHandler([]), credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' }, maxAttempts: 1 });
  const io = memoryIo(false);
  const code = await runPricesCommand(['refresh', '--instance-types', 'g5.xlarge,g6.xlarge', '--out', out], io, source, new Date('2026-11-25T00:00:00Z'));
  assert.equal(code, 0, io.err.join(''));
  assert.match(io.out.join(''), /wrote .*catalog\.json \(catalog 2026-11-25, us-east-1\): 2 instance types priced/);
  const planned = memoryIo(false);
  assert.equal(await runPlanCommand([workloadFile, '--catalog', out, '--format', 'json', '--strategies', 'always-on'], planned), 0);
  assert.equal(JSON.parse(planned.out.join('')).catalogVersion, '2026-11-25');
  const bad = memoryIo(false);
  assert.equal(await runPricesCommand(['refresh', '--instance-types', 'x9.huge'], bad, source), 2);
  assert.match(bad.err.join(''), /--instance-types: x9\.huge is not in catalog/);
});

test('prices refresh reports an AWS failure in one line and writes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cosyfleet-prices-'));
  const out = join(dir, 'catalog.json');
  const failing = {
    getProducts: () => Promise.reject(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })),
    describeSpotPriceHistory: () => Promise.resolve({}),
  };
  const io = memoryIo(false);
  assert.equal(await runPricesCommand(['refresh', '--out', out], io, failing), 1);
  assert.equal(io.err.join(''), 'cosyfleet prices: AWS request failed (CredentialsProviderError): Could not load credentials from any providers\nNo catalog was written.\n');
  assert.throws(() => readFileSync(out), /ENOENT/);
});
