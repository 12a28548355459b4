// The studio's Cost page end to end in a real browser (Debian's Chromium through playwright-core)
// against a real server on loopback serving a studio built from web/ for this run: a workload
// typed into the form and one uploaded as a file are planned by POST /v1/plan, and what the page
// shows is checked against what the API answers for the very body the page sent (captured from
// the browser's request). The server's refusals land beside the field they name; the downloaded
// report is the route's HTML, which is what `cosyfleet plan --format html` writes (the CLI runs
// as a real child process). Plans are kept small (two instance types, two simulated days) so
// each takes seconds. One browser; one page.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page, Request } from 'playwright-core';
import { parse } from 'yaml';
import { postJson, startTestServer, type TestServer } from '../helpers/server.js';
import { assertFitsPhone, DESKTOP, screenshot, seriousViolations, StudioHarness } from './browser.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** A plan simulates seconds of CPU on a machine that may be shared: generous, never a speed claim. */
const PLAN_MS = 240_000;
const TYPES = ['g6.xlarge', 'g5.xlarge'];
/** The form's "Daytime" shape (web/src/cost/workload-form.ts), local midnight first. */
const DAYTIME = [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 8, 8, 8, 8, 7, 6, 5, 4, 3, 2, 1];

interface Option {
  instanceType: string;
  strategy: string;
  gpu: string;
  gpusPerInstance: number;
  monthlyCostUsd: number;
  costPerAudioHourUsd: number;
  peakInstances: number;
  sloMet: boolean;
  caveats: string[];
}
interface Plan {
  recommendation: (Option & { why: string }) | null;
  options: Option[];
  assumptions: string[];
  workload: { name: string };
}
interface ErrorWire {
  error: { code: string; message: string; param: string | null };
}

const money = (n: number, digits = 0) => `$${n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
/** The report with its one moment-dependent line (when it was generated) blanked. */
const undated = (html: string) => html.replace(/Generated \S+ by cosyfleet plan/, 'Generated (time) by cosyfleet plan');

const harness = new StudioHarness();
let workDir: string;
let server: TestServer;
let page: Page;
let problems: string[];

async function apiPlan(body: unknown): Promise<Plan> {
  const res = await postJson(`${server.url}/v1/plan`, body);
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as Plan;
}
async function apiRefusal(body: unknown): Promise<ErrorWire['error']> {
  const res = await postJson(`${server.url}/v1/plan`, body);
  assert.equal(res.status, 400, await res.clone().text());
  return ((await res.json()) as ErrorWire).error;
}
async function apiReport(body: unknown): Promise<string> {
  const res = await postJson(`${server.url}/v1/plan?format=html`, body);
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  return res.text();
}

/** The body of the page's next POST /v1/plan (JSON form), once `act` has caused it. */
async function planRequest(act: () => Promise<void>): Promise<unknown> {
  const request = page.waitForRequest((r: Request) => r.method() === 'POST' && new URL(r.url()).pathname === '/v1/plan', { timeout: PLAN_MS });
  await act();
  const r = await request;
  assert.equal(new URL(r.url()).searchParams.get('format'), 'json');
  return r.postDataJSON() as unknown;
}

/** What the page shows for a plan, against the API's answer for the same body. */
async function assertShows(plan: Plan): Promise<void> {
  const rec = plan.recommendation;
  assert.ok(rec, 'the test workloads are sized to be met');
  const card = page.locator('[data-testid=cost-recommendation]');
  assert.equal(await card.locator('[data-fact=instance]').textContent(), `${rec.instanceType} (${rec.gpusPerInstance} × ${rec.gpu})`);
  assert.equal(await card.locator('[data-fact=strategy]').textContent(), rec.strategy);
  assert.equal(await card.locator('[data-fact=monthly] strong').textContent(), money(rec.monthlyCostUsd));
  assert.equal(await card.locator('[data-fact=perAudioHour]').textContent(), money(rec.costPerAudioHourUsd, 3));
  assert.match((await card.locator('[data-fact=fleet]').textContent()) ?? '', new RegExp(`^peak ${rec.peakInstances}, `));
  assert.match((await card.locator('.why').textContent()) ?? '', new RegExp(`^Why: ${rec.why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  // Caveats (the bundled prices are dated: every option carries at least that one) are shown.
  assert.ok(rec.caveats.length > 0);
  assert.deepEqual(await card.locator('[data-testid=cost-caveats] li').allTextContents(), rec.caveats);
  assert.deepEqual(await page.locator('[data-testid=cost-assumptions] li').allTextContents(), plan.assumptions);

  // The table in the planner's rank order, every option.
  const rows = page.locator('[data-testid=cost-options] tbody tr');
  assert.equal(await rows.count(), plan.options.length);
  const shown = await rows.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-instance'), tr.getAttribute('data-strategy')]));
  assert.deepEqual(
    shown,
    plan.options.map((o) => [o.instanceType, o.strategy]),
  );
  const costs = await page.locator('[data-testid=cost-options] tbody td[data-value]').allTextContents();
  assert.deepEqual(
    costs,
    plan.options.map((o) => money(o.monthlyCostUsd)),
  );
  // The recommended row is marked, and is the API's recommendation.
  const current = page.locator('[data-testid=cost-options] tbody tr[aria-current=true]');
  assert.equal(await current.count(), 1);
  assert.deepEqual([await current.getAttribute('data-instance'), await current.getAttribute('data-strategy')], [rec.instanceType, rec.strategy]);

  // Charts: a bar per option (at most 12), the cheapest first; the recommendation's load line.
  const bars = page.locator('[data-testid=cost-bars] g.bar');
  const cheapest = [...plan.options].sort((a, b) => a.monthlyCostUsd - b.monthlyCostUsd).slice(0, 12);
  assert.deepEqual(
    (await bars.evaluateAll((gs) => gs.map((g) => Number(g.getAttribute('data-cost'))))),
    cheapest.map((o) => Math.round(o.monthlyCostUsd)),
  );
  assert.equal(await page.locator('[data-testid=cost-bars] g.bar.recommended').count(), 1);
  // The axes reach past the largest value: every bar ends at or before the last grid line, and
  // both lines of the load chart stay inside its plot (y from its top tick down).
  const bounds = await page.locator('[data-testid=cost-bars] svg').evaluate((svg) => ({
    grid: Math.max(...[...svg.querySelectorAll('.grid line')].map((l) => Number(l.getAttribute('x1')))),
    bars: Math.max(...[...svg.querySelectorAll('.bar rect')].map((r) => Number(r.getAttribute('x')) + Number(r.getAttribute('width')))),
  }));
  assert.ok(bounds.bars <= bounds.grid + 1e-6, `a bar (${bounds.bars}) passes the axis (${bounds.grid})`);
  const lines = await page.locator('[data-testid=cost-load] svg').evaluate((svg) => ({
    top: Math.min(...[...svg.querySelectorAll('.grid line')].map((l) => Number(l.getAttribute('y1')))),
    ys: [...svg.querySelectorAll('polyline')].flatMap((p) => (p.getAttribute('points') ?? '').split(' ').map((xy: string) => Number(xy.split(',')[1]))),
  }));
  assert.ok(lines.ys.length >= 2 * 48 && lines.ys.every((y) => y >= lines.top - 1e-6), `a line leaves the plot: top ${lines.top}, min y ${Math.min(...lines.ys)}`);
  assert.equal(await page.locator('[data-testid=cost-load] polyline.capacity').count(), 1);
  assert.equal(await page.locator('[data-testid=cost-load] polyline.load').count(), 1);
}

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'cosyfleet-studio-cost-files-'));
  harness.defer(() => rm(workDir, { recursive: true, force: true }));
  const studioRoot = await harness.build('cost');
  await harness.launch();
  server = await startTestServer({ espeakWorkers: 1 }, { studioRoot });
  harness.defer(() => server.close());
  ({ page, problems } = await harness.open({ acceptDownloads: true }));
});

after(() => harness.close());

describe('the Cost page', () => {
  let formBody: unknown;

  it('plans the workload typed into the form and shows what the API answers for it', async () => {
    await page.goto(`${server.url}/#/cost`);
    await page.getByRole('heading', { level: 1, name: 'Cost' }).waitFor();
    await page.locator('#cost-utcOffset').selectOption('0');
    await page.locator('#cost-requestsPerDay').fill('20000');
    await page.locator('#cost-meanChars').fill('150');
    await page.locator('#cost-instanceTypes').fill(TYPES.join(', '));
    await page.locator('details.more summary').click();
    await page.locator('#cost-name').fill('studio-test');
    await page.locator('#cost-days').fill('2');
    await page.locator('#cost-seed').fill('7');

    formBody = await planRequest(() => page.getByRole('button', { name: 'Plan', exact: true }).click());
    // The form's workload, as the planner reads workload files (shares from percent, UTC weights).
    assert.deepEqual(formBody, {
      name: 'studio-test',
      requestsPerDay: 20000,
      meanChars: 150,
      language: [
        { code: 'cmn', share: 0.6, charsPerSecond: 4.5 },
        { code: 'en', share: 0.4, charsPerSecond: 15 },
      ],
      hourlyWeights: DAYTIME,
      streamingShare: 0.7,
      slo: { p95FirstAudioMs: 1500, p95CompletionMs: 20000 },
      region: 'us-east-1',
      growthPerMonth: 0,
      engine: 'cosyvoice3-trtllm',
      instanceTypes: TYPES,
      storage: { retentionDays: 0, format: 'mp3' },
      strategies: { autoscale: { minInstances: 1, headroom: 0.1 }, scaleToZero: { idleMinutes: 15 }, spot: { interruptionsPerInstanceMonth: 0.1 } },
      planning: { days: 2, seed: 7 },
    });
    await page.getByRole('heading', { level: 2, name: 'Plan for “studio-test”' }).waitFor({ timeout: PLAN_MS });
    await page.locator('#cost-result-title:focus').waitFor();
    const plan = await apiPlan(formBody);
    assert.ok(plan.options.length >= TYPES.length);
    await assertShows(plan);
    assert.deepEqual(problems, []);
  });

  it('sorts the options table by cost, both ways, and back to the planner’s rank', async () => {
    const header = page.locator('[data-testid=cost-options] thead th').filter({ has: page.locator('button[data-sort=monthlyCostUsd]') });
    const values = async () => (await page.locator('[data-testid=cost-options] tbody td[data-value]').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-value')))));
    const ranked = await values();
    await page.locator('button[data-sort=monthlyCostUsd]').click();
    assert.equal(await header.getAttribute('aria-sort'), 'ascending');
    const up = await values();
    assert.deepEqual(up, [...ranked].sort((a, b) => a - b));
    await page.locator('button[data-sort=monthlyCostUsd]').click();
    assert.equal(await header.getAttribute('aria-sort'), 'descending');
    assert.deepEqual(await values(), [...ranked].sort((a, b) => b - a));
    // An option that misses the SLO ranks after every one that meets it, whatever it costs:
    // when there is one, rank order and cost order differ, and "#" restores the first.
    await page.locator('button[data-sort=rank]').click();
    assert.deepEqual(await values(), ranked);
  });

  it('downloads the same HTML report the route answers for the planned workload', async () => {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: PLAN_MS }), page.locator('[data-testid=cost-download]').click()]);
    assert.equal(download.suggestedFilename(), 'cosyfleet-plan-studio-test.html');
    const path = await download.path();
    const html = await readFile(path, 'utf8');
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<title>cosyfleet capacity plan: studio-test<\/title>/);
    for (const section of ['Charts', 'Plans, ranked', 'Caveats', 'Storage and delivery', 'Sensitivity', 'Where common assumptions differ from the data']) {
      assert.ok(html.includes(`<h2>${section}</h2>`), section);
    }
    assert.match(html, /<svg/);
    assert.equal(undated(html), undated(await apiReport(formBody)));
  });

  it('shows the server’s refusal beside the field it names, and the keyboard goes there', async () => {
    // The time zone moves the daily shape into UTC hours: 08:00 local is 00:00 UTC at UTC+8.
    await page.locator('#cost-utcOffset').selectOption('8');
    await page.locator('#cost-requestsPerDay').fill('2000000000');
    const body = await planRequest(() => page.getByRole('button', { name: 'Plan', exact: true }).click());
    assert.deepEqual((body as { hourlyWeights: number[] }).hourlyWeights, DAYTIME.map((_, h) => DAYTIME[(h + 8) % 24]));
    const refused = await apiRefusal(body);
    assert.equal(refused.param, 'requestsPerDay');
    const error = page.locator('#cost-requestsPerDay-error');
    await error.waitFor();
    assert.equal(await error.textContent(), refused.message);
    assert.match(refused.message, /requestsPerDay: must be at most 1000000000, got 2000000000/);
    assert.equal(await page.locator('#cost-requestsPerDay').getAttribute('aria-invalid'), 'true');
    assert.match((await page.locator('#cost-requestsPerDay').getAttribute('aria-describedby')) ?? '', /cost-requestsPerDay-error/);
    await page.locator('#cost-requestsPerDay:focus').waitFor();
    // Changing the field clears its message.
    await page.locator('#cost-requestsPerDay').fill('20000');
    await error.waitFor({ state: 'detached' });

    // Shares that do not add up: the message goes beside the languages.
    await page.locator('#cost-language-1-share').fill('30');
    const shares = await planRequest(() => page.getByRole('button', { name: 'Plan', exact: true }).click());
    const sharesRefused = await apiRefusal(shares);
    assert.equal(sharesRefused.param, 'language');
    await page.locator('#cost-languages-error').filter({ hasText: 'shares must add up to 1' }).waitFor();
    assert.equal(await page.locator('#cost-languages-error').textContent(), sharesRefused.message);
    await page.locator('#cost-language-1-share').fill('40');

    // A field of the "more" section, closed again before planning: it opens, with the message
    // beside the field.
    await page.locator('#cost-days').fill('99');
    await page.locator('details.more summary').click();
    assert.equal(await page.locator('details.more').getAttribute('open'), null);
    const days = await planRequest(() => page.getByRole('button', { name: 'Plan', exact: true }).click());
    const daysRefused = await apiRefusal(days);
    assert.equal(daysRefused.param, 'planning.days');
    await page.locator('#cost-days-error').waitFor();
    assert.equal(await page.locator('#cost-days-error').textContent(), daysRefused.message);
    assert.notEqual(await page.locator('details.more').getAttribute('open'), null);
    await page.locator('#cost-days:focus').waitFor();
    await page.locator('#cost-days').fill('2');
    assert.deepEqual(problems, []);
  });

  it('converts the busiest hour’s rate into requests per day with the chosen shape', async () => {
    await page.locator('#cost-utcOffset').selectOption('0');
    await page.getByRole('radio', { name: 'Busiest hour’s rate' }).check();
    await page.locator('#cost-peakRate').fill('2');
    const perDay = Math.round((2 * 3600 * DAYTIME.reduce((s, w) => s + w, 0)) / Math.max(...DAYTIME));
    await page.locator('[data-testid=cost-per-day]').filter({ hasText: `≈ ${perDay.toLocaleString('en-US')} requests per day` }).waitFor();
    await page.getByRole('radio', { name: 'Requests per day' }).check();
    assert.equal(await page.locator('#cost-requestsPerDay').inputValue(), '20000');
  });

  it('plans an uploaded YAML workload file, and shows a file’s own and the planner’s refusals beside the file input', async () => {
    await page.getByRole('radio', { name: 'Upload a workload file' }).check();
    const input = page.locator('#cost-file');

    const duplicate = 'name: twice\nname: again\n';
    await input.setInputFiles({ name: 'dup.yaml', mimeType: 'application/yaml', buffer: Buffer.from(duplicate) });
    await page.locator('#cost-file-error').filter({ hasText: 'YAML:' }).waitFor();
    assert.match((await page.locator('#cost-file-error').textContent()) ?? '', /^dup\.yaml: YAML: Map keys must be unique/);
    assert.equal(await page.getByRole('button', { name: 'Plan', exact: true }).isDisabled(), true);

    const bad = { ...(formBody as Record<string, unknown>), slo: { p95FirstAudioMs: -1, p95CompletionMs: 20000 } };
    await input.setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bad)) });
    await page.locator('[data-testid=cost-file-summary]').waitFor();
    const sent = await planRequest(() => page.getByRole('button', { name: 'Plan', exact: true }).click());
    assert.deepEqual(sent, bad);
    const refused = await apiRefusal(bad);
    assert.equal(refused.param, 'slo.p95FirstAudioMs');
    await page.locator('#cost-file-error').filter({ hasText: 'slo.p95FirstAudioMs' }).waitFor();
    assert.equal(await page.locator('#cost-file-error').textContent(), refused.message);

    const yamlText = [
      '# uploaded from the studio',
      'name: uploaded',
      'requestsPerDay: 30000',
      'meanChars: 200',
      'language:',
      '  - { code: en-US, share: 1, charsPerSecond: 15 }',
      'hourlyWeights:',
      `  weekday: [${DAYTIME.join(', ')}]`,
      `  weekend: [${DAYTIME.map((w) => Math.ceil(w / 2)).join(', ')}]`,
      'streamingShare: 0.5',
      'slo: { p95FirstAudioMs: 2000, p95CompletionMs: 30000 }',
      'region: us-west-2',
      `instanceTypes: [${TYPES.join(', ')}]`,
      'planning: { days: 2, seed: 3 }',
      '',
    ].join('\n');
    await input.setInputFiles({ name: 'uploaded.yaml', mimeType: 'application/yaml', buffer: Buffer.from(yamlText) });
    await page.locator('[data-testid=cost-file-summary]').filter({ hasText: 'Read “uploaded”: 30,000 requests per day; languages: en-US.' }).waitFor();
    assert.equal(await page.locator('#cost-file-error').count(), 0);
    const body = await planRequest(() => page.getByRole('button', { name: 'Plan', exact: true }).click());
    // Read in the browser as the CLI reads the file.
    assert.deepEqual(body, parse(yamlText));
    await page.getByRole('heading', { level: 2, name: 'Plan for “uploaded”' }).waitFor({ timeout: PLAN_MS });
    await assertShows(await apiPlan(body));
    assert.deepEqual(problems, []);
  });

  it('has no serious accessibility violations with a plan shown, fits a phone, and leaves a screenshot', async () => {
    assert.deepEqual(await seriousViolations(page), []);
    await page.getByRole('radio', { name: 'Describe the workload' }).check();
    await page.locator('#cost-requestsPerDay').waitFor();
    assert.deepEqual(await seriousViolations(page), []);
    await screenshot(page, 'studio-cost.png');
    await assertFitsPhone(page, 390, 844);
    await page.setViewportSize(DESKTOP);
    assert.deepEqual(problems, []);
  });
});

describe('POST /v1/plan?format=html and `cosyfleet plan --format html`', () => {
  it('answer the same report for the same workload and seed', async () => {
    const file = join(workDir, 'same.yaml');
    const text = (await readFile(join(ROOT, 'examples/workload.yaml'), 'utf8')) + `instanceTypes: [${TYPES.join(', ')}]\nplanning: { days: 2 }\n`;
    await writeFile(file, text);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'plan', file, '--format', 'html', '--seed', '11'], { cwd: ROOT, maxBuffer: 32 * 1024 * 1024 });
    const body = parse(text) as { planning: Record<string, unknown> };
    body.planning.seed = 11;
    const html = await apiReport(body);
    assert.match(html, /<title>cosyfleet capacity plan: narration<\/title>/);
    assert.match(html, /seed 11\./);
    assert.equal(undated(html), undated(stdout));
  });
});
