// The studio's Fleet page end to end in a real browser (Debian's Chromium through playwright-core)
// against a real server in process mode: two espeak worker processes, AUTH=keys with an admin key
// and a user key, a studio built from web/ for this run. The page lists the workers with their
// pids as the admin API does; a confirmed restart replaces one (then all), and the page shows the
// successors' new pids and why; admission refusals (429) made by the test appear in the page's bars as counted;
// a user key gets "needs an admin key" and can continue with an admin key entered there.
// A screenshot of the page goes to dist/test-artifacts/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { postJson, startTestServer, type TestServer } from '../helpers/server.js';
import { espeakProcesses, workerConfig } from '../workers/helpers.js';
import { assertFitsPhone, DESKTOP, screenshot, seriousViolations, StudioHarness } from './browser.js';

const ADMIN_KEY = 'fleet-test-admin-key-0123456789';
const USER_KEY = 'fleet-test-user-key-0123456789';

interface WorkerWire {
  id: string;
  slot: number;
  pid: number | null;
  state: string;
  restarts: { worker: string; reason: string }[];
}
interface FleetWire {
  workers: WorkerWire[];
  readiness: { ready: boolean };
  minutes: { admitted: number; rejected: { queue_full: number; overloaded: number }; queue: { max: number } }[];
}

const harness = new StudioHarness();
let server: TestServer;
let page: Page;
let problems: string[];

async function adminGet<T>(path: string): Promise<T> {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as T;
}
const apiWorkers = async () => (await adminGet<{ data: WorkerWire[] }>('/v1/admin/workers')).data;

/** The workers as the page's table shows them: id, slot and pid of each row. */
async function pageWorkers(p: Page): Promise<{ id: string; slot: number; pid: number }[]> {
  const rows = p.locator('[data-testid=fleet-workers] tbody tr');
  const out = [];
  for (let i = 0; i < (await rows.count()); i++) {
    const row = rows.nth(i);
    out.push({ id: (await row.getAttribute('data-id')) ?? '', slot: Number(await row.getAttribute('data-slot')), pid: Number(await row.locator('[data-testid=pid]').textContent()) });
  }
  return out.sort((a, b) => a.slot - b.slot);
}

/** Signs the tab in through the studio's key prompt. */
async function signIn(p: Page, key: string): Promise<void> {
  await p.goto(`${server.url}/#/fleet`);
  await p.locator('#api-key').fill(key);
  await p.getByRole('button', { name: 'Use this key' }).click();
}

before(async () => {
  const studioRoot = await harness.build('fleet');
  // The engine WORKERS=process makes (espeak in supervised worker processes), started here rather
  // than in the app's onReady hook: on a loaded machine two processes can take longer to come up
  // than Fastify allows a hook (10 s), and the app's start() of a started engine is a no-op.
  const workers = { workers: 'process', workerProcesses: 2, workerConcurrency: 1, workerHeartbeatMs: 200 } as const;
  const engine = espeakProcesses(workerConfig({ ...workers, workerStartTimeoutMs: 120_000 }));
  // Closed by the server once it has one; closing it again is a no-op.
  harness.defer(() => engine.close());
  await engine.start();
  // queueMax 1: with both workers busy one job waits and the next is refused (429 queue_full).
  server = await startTestServer({ auth: 'keys', adminKey: ADMIN_KEY, apiKeys: `acme:${USER_KEY}`, ...workers, queueMax: 1 }, { studioRoot, engine });
  harness.defer(() => server.close());
  await harness.launch();
  ({ page, problems } = await harness.open());
});

after(() => harness.close());

describe('the Fleet page', () => {
  it('lists the worker processes with the pids the admin API gives, and the engine as ready', async () => {
    await signIn(page, ADMIN_KEY);
    await page.getByRole('heading', { level: 1, name: 'Fleet' }).waitFor();
    const rows = page.locator('[data-testid=fleet-workers] tbody tr[data-state=ready]');
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(q: string): { length: number } } }).document.querySelectorAll('[data-testid=fleet-workers] tbody tr[data-state=ready]').length === 2);
    assert.equal(await rows.count(), 2);
    const shown = await pageWorkers(page);
    const api = await apiWorkers();
    assert.deepEqual(
      shown,
      api.map((w) => ({ id: w.id, slot: w.slot, pid: w.pid })).sort((a, b) => a.slot - b.slot),
    );
    for (const w of shown) assert.ok(Number.isInteger(w.pid) && w.pid > 0 && w.pid !== process.pid, `worker ${w.id} runs in a process of its own`);
    await page.locator('[data-testid=fleet-readiness] [data-ready=true]').filter({ hasText: 'Engine espeak (worker processes) is ready' }).waitFor();
    assert.equal((await adminGet<FleetWire>('/v1/admin/fleet')).readiness.ready, true);
    assert.deepEqual(problems, []);
  });

  it('restarts one worker after a confirmation; the page shows its successor with a new pid, and why', async () => {
    const [victim] = await pageWorkers(page);
    assert.ok(victim);
    await page.getByRole('button', { name: `Restart worker ${victim.id}` }).click();
    // Nothing happens before the confirmation.
    const question = page.getByRole('group', { name: new RegExp(`^Restart worker ${victim.id}\\?`) });
    await question.waitFor();
    assert.deepEqual((await apiWorkers()).map((w) => w.id).sort(), (await pageWorkers(page)).map((w) => w.id).sort());
    await question.getByRole('button', { name: 'Restart', exact: true }).click();
    await page.locator('[data-testid=fleet-announcement]').filter({ hasText: `Worker ${victim.id} was replaced.` }).waitFor();

    // The API: slot's worker is a new process, replaced by an operator.
    const api = await apiWorkers();
    const successor = api.find((w) => w.slot === victim.slot);
    assert.ok(successor, JSON.stringify(api));
    assert.notEqual(successor.id, victim.id);
    assert.notEqual(successor.pid, victim.pid);
    assert.deepEqual(successor.restarts[0], { ...successor.restarts[0], worker: victim.id, reason: 'admin' });

    // The page: the same, by itself (its refresh), with the reason in words.
    const row = page.locator(`[data-testid=fleet-workers] tbody tr[data-id="${successor.id}"][data-state=ready]`);
    await row.waitFor();
    assert.equal(Number(await row.locator('[data-testid=pid]').textContent()), successor.pid);
    assert.match((await row.locator('[data-testid=recycle]').textContent()) ?? '', new RegExp(`restarted by an operator, .* \\(was ${victim.id}\\)`));
    assert.equal(await page.locator(`[data-testid=fleet-workers] tbody tr[data-id="${victim.id}"]`).count(), 0);
    assert.deepEqual(problems, []);
  });

  it('shows the 429s the service answered at admission, as many as the clients got', async () => {
    const text = 'The fleet page counts refusals. This sentence keeps a worker busy for a little while, so that the queue fills up.';
    let refused = 0;
    let admitted = 0;
    // Rounds of simultaneous requests until some are refused (two run, one waits, the rest get 429).
    for (let round = 0; round < 10 && refused === 0; round++) {
      const statuses = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const res = await postJson(`${server.url}/v1/tts`, { text, language: 'en', format: 'pcm' }, { headers: { 'content-type': 'application/json', authorization: `Bearer ${USER_KEY}` } });
          const body = res.status === 429 ? ((await res.json()) as { error: { code: string } }).error.code : (await res.arrayBuffer(), 'ok');
          return { status: res.status, body };
        }),
      );
      for (const s of statuses) {
        if (s.status === 429) {
          assert.ok(s.body === 'queue_full' || s.body === 'overloaded', s.body);
          refused++;
        } else {
          assert.equal(s.status, 200);
          admitted++;
        }
      }
    }
    assert.ok(refused > 0, 'some requests were refused at admission');
    const fleet = await adminGet<FleetWire>('/v1/admin/fleet?minutes=60');
    const sum = (f: (m: FleetWire['minutes'][number]) => number) => fleet.minutes.reduce((a, m) => a + f(m), 0);
    assert.equal(sum((m) => m.rejected.queue_full + m.rejected.overloaded), refused);
    assert.equal(sum((m) => m.admitted), admitted);
    // A refusal for a full queue means a job was waiting then.
    assert.ok(Math.max(...fleet.minutes.map((m) => m.queue.max)) >= 1);

    // The page's bars and their sentence say the same after its next refresh.
    await page.locator('[data-testid=fleet-429]').filter({ hasText: new RegExp(`(?<!\\d)${refused} refused .*; ${admitted} admitted`) }).waitFor();
    const bars = page.locator('[data-testid=fleet-429] rect');
    const values = await bars.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
    assert.equal(values.length, 15);
    assert.equal(values.reduce((a, b) => a + b, 0), refused);
    const queueMax = await page.locator('[data-testid=fleet-queue] rect').evaluateAll((els) => Math.max(...els.map((e) => Number(e.getAttribute('data-value')))));
    assert.ok(queueMax >= 1, `the queue bars show the waiting job (${queueMax})`);
    assert.deepEqual(problems, []);
  });

  it('restarts all workers after a confirmation: every slot gets a new process', async () => {
    const before = await pageWorkers(page);
    await page.getByRole('button', { name: 'Restart all workers of espeak' }).click();
    const question = page.getByRole('group', { name: /^Restart every worker of espeak, one at a time\?/ });
    await question.getByRole('button', { name: 'Restart', exact: true }).click();
    await page.locator('[data-testid=fleet-announcement]').filter({ hasText: 'Every worker of espeak was replaced.' }).waitFor();
    const api = await apiWorkers();
    assert.equal(api.length, before.length);
    for (const old of before) {
      const now = api.find((w) => w.slot === old.slot);
      assert.ok(now && now.id !== old.id && now.pid !== old.pid, `slot ${old.slot}: ${JSON.stringify(now)}`);
      assert.equal(now.restarts[0]?.reason, 'admin');
      await page.locator(`[data-testid=fleet-workers] tbody tr[data-id="${now.id}"][data-state=ready]`).waitFor();
    }
    assert.deepEqual(await pageWorkers(page), api.map((w) => ({ id: w.id, slot: w.slot, pid: w.pid })).sort((a, b) => a.slot - b.slot));
    assert.deepEqual(problems, []);
  });

  it('has no serious or critical accessibility violations, fits 375 px, and leaves a screenshot', async () => {
    assert.deepEqual(await seriousViolations(page), []);
    await screenshot(page, 'studio-fleet.png');
    await assertFitsPhone(page);
    assert.deepEqual(await seriousViolations(page), []);
    await page.setViewportSize(DESKTOP);
  });

  it('tells a user key that it needs an admin key, and goes on with one entered there', async () => {
    const res = await fetch(`${server.url}/v1/admin/fleet`, { headers: { authorization: `Bearer ${USER_KEY}` } });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'scope_missing');

    const user = await harness.open();
    try {
      await signIn(user.page, USER_KEY);
      const notice = user.page.locator('[data-testid=fleet-needs-admin]');
      await notice.getByRole('heading', { name: 'This page needs an admin key' }).waitFor();
      assert.match((await notice.textContent()) ?? '', /may not see or restart the workers/);
      assert.equal(await user.page.locator('[data-testid=fleet-workers]').count(), 0, 'no table, no broken page');
      assert.deepEqual(await seriousViolations(user.page), []);

      // The same user key entered as the admin key is refused in place.
      await user.page.locator('#fleet-admin-key').fill(USER_KEY);
      await user.page.getByRole('button', { name: 'Use this key' }).click();
      await notice.locator('[role=alert]').filter({ hasText: 'That key is not an admin key' }).waitFor();
      await user.page.locator('#fleet-admin-key').fill(ADMIN_KEY);
      await user.page.getByRole('button', { name: 'Use this key' }).click();
      await user.page.locator('[data-testid=fleet-workers] tbody tr').first().waitFor();
      assert.deepEqual(
        (await pageWorkers(user.page)).map((w) => w.pid),
        (await apiWorkers()).sort((a, b) => a.slot - b.slot).map((w) => w.pid),
      );
      assert.deepEqual(user.problems, []);
    } finally {
      await user.context.close();
    }
  });
});
