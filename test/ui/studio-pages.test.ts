// The studio's Lexicon and History pages end to end in a real browser (Debian's Chromium through
// playwright-core) against a real server on loopback serving a studio built from web/ for this
// run, with the real espeak engine. GateEngine holds nothing here: it only records which text
// each engine call carried, so the test can tell the sentence played without the lexicon from
// the one played with it. One browser; one page.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';
import { GateEngine } from '../helpers/gate-engine.js';
import { postJson, startTestServer, type TestServer } from '../helpers/server.js';
import { assertFitsPhone, DESKTOP, played, seriousViolations, StudioHarness } from './browser.js';

const SENTENCE = 'Meet Qwzx today.';
const FIRST = '[K][W][IH1][Z]';
const EDITED = '[K][W][IH1][Z][IY0]';

interface EntryWire {
  id: string;
  term: string;
  pronunciation: string;
}
interface OutputWire {
  id: string;
}

const harness = new StudioHarness();
let server: TestServer;
let engine: GateEngine;
let page: Page;
let problems: string[];

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${server.url}${path}`);
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as T;
}
const lexicon = async () => (await api<{ data: EntryWire[] }>('/v1/lexicon')).data;
const outputs = async () => (await api<{ data: OutputWire[] }>('/v1/outputs?limit=100')).data;

before(async () => {
  const studioRoot = await harness.build('pages');
  await harness.launch();
  engine = new GateEngine(new EspeakEngine({ workers: 2 }));
  server = await startTestServer({}, { engine, studioRoot });
  harness.defer(() => server.close());
  ({ page, problems } = await harness.open());
});

after(() => harness.close());

describe('the Lexicon page', () => {
  it('adds an entry by keyboard and shows it in the table, which the search filters', async () => {
    await page.goto(`${server.url}/#/lexicon`);
    await page.getByRole('heading', { level: 1, name: 'Lexicon' }).waitFor();
    await page.locator('#lex-count').filter({ hasText: '0 entries' }).waitFor();
    await page.locator('#lex-term').fill('Qwzx');
    await page.locator('#lex-pronunciation').fill(FIRST);
    await page.locator('#lex-pronunciation').press('Enter');

    const row = page.locator('[data-testid=lexicon-table] tbody tr');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    assert.equal(await row.locator('th').textContent(), 'Qwzx');
    assert.equal(await row.locator('td code').textContent(), FIRST);
    assert.match((await row.textContent()) ?? '', /All languages.*whole words · any case/);
    // The server holds what the table shows.
    const stored = await lexicon();
    assert.deepEqual(
      stored.map((e) => [e.id, e.term, e.pronunciation]),
      [[await row.getAttribute('data-id'), 'Qwzx', FIRST]],
    );
    // A fresh form, the keyboard in its first field for the next entry.
    assert.equal(await page.locator('#lex-term').inputValue(), '');
    await page.locator('#lex-term:focus').waitFor();

    await page.locator('#lex-search').fill('nothing like it');
    await page.locator('#lex-count').filter({ hasText: '0 of 1 entries' }).waitFor();
    assert.equal(await row.count(), 0);
    await page.locator('#lex-search').fill('IH1');
    await page.locator('#lex-count').filter({ hasText: '1 of 1 entries' }).waitFor();
    assert.equal(await row.count(), 1);
    await page.locator('#lex-search').fill('');
    assert.deepEqual(problems, []);
  });

  it('tests a sentence: the text before and after the lexicon differs, and both play', async () => {
    await page.locator('#lex-test-text').fill(SENTENCE);
    await page.locator('#lex-test-language').selectOption('en');
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    const before = page.locator('[data-testid=test-before] .engine-text');
    const after = page.locator('[data-testid=test-after] .engine-text');
    await after.filter({ hasText: FIRST }).waitFor();
    assert.equal(await before.textContent(), SENTENCE);
    assert.equal(await after.textContent(), `Meet ${FIRST} today.`);
    // The tokens are coloured as the editor colours them.
    assert.equal(await after.locator('.tok-cmu').count(), 4);
    assert.match((await page.locator('[data-testid=test-result]').textContent()) ?? '', /“Qwzx” → \[K\]\[W\]\[IH1\]\[Z\]/);

    await page.getByRole('button', { name: 'Play without', exact: true }).click();
    await page.locator('[data-testid=test-player-status][data-side=before][data-state=done]').waitFor();
    await played(page, '[data-testid=test-audio]');
    assert.ok(engine.events.includes(`start ${SENTENCE}`), engine.events.join('\n'));

    await page.getByRole('button', { name: 'Play with', exact: true }).click();
    await page.locator('[data-testid=test-player-status][data-side=after][data-state=done]').waitFor();
    await played(page, '[data-testid=test-audio]');
    assert.ok(engine.events.includes(`start Meet ${FIRST} today.`), engine.events.join('\n'));
    assert.deepEqual(problems, []);
  });

  it('has no serious or critical accessibility violations (axe-core)', async () => {
    assert.deepEqual(await seriousViolations(page), []);
  });

  it('edits the entry: the table and the tested sentence follow', async () => {
    await page.getByRole('button', { name: 'Edit Qwzx' }).click();
    await page.getByRole('heading', { level: 2, name: 'Edit “Qwzx”' }).waitFor();
    await page.locator('#lex-term:focus').waitFor();
    assert.equal(await page.locator('#lex-pronunciation').inputValue(), FIRST);
    await page.locator('#lex-pronunciation').fill(EDITED);
    await page.locator('#lex-case').check();
    await page.getByRole('button', { name: 'Save changes' }).click();

    const row = page.locator('[data-testid=lexicon-table] tbody tr');
    await row.locator('td code').filter({ hasText: EDITED }).waitFor();
    assert.match((await row.textContent()) ?? '', /exact case/);
    await page.getByRole('heading', { level: 2, name: 'Add an entry' }).waitFor();
    // The sentence was tested again against the changed lexicon.
    await page.locator('[data-testid=test-after] .engine-text').filter({ hasText: EDITED }).waitFor();
    const stored = await lexicon();
    assert.equal(stored.length, 1);
    assert.equal(stored[0]?.pronunciation, EDITED);
    assert.deepEqual(problems, []);
  });

  it('shows the server\'s refusal of a bad pronunciation beside the field, in its words', async () => {
    for (const pronunciation of ['[Z][AO1][R][Q]', 'zork']) {
      const refusal = await postJson(`${server.url}/v1/lexicon`, { term: 'Zork', pronunciation, caseSensitive: false, wholeWord: true });
      assert.equal(refusal.status, 400);
      const { error } = (await refusal.json()) as { error: { code: string; message: string; param: string } };
      assert.equal(error.param, 'pronunciation');

      await page.locator('#lex-term').fill('Zork');
      await page.locator('#lex-pronunciation').fill(pronunciation);
      await page.getByRole('button', { name: 'Add entry' }).click();
      const shown = page.locator('#lex-pronunciation-error');
      await shown.waitFor();
      assert.equal(await shown.textContent(), error.message);
      assert.equal(await page.locator('#lex-pronunciation').getAttribute('aria-invalid'), 'true');
      assert.match((await page.locator('#lex-pronunciation').getAttribute('aria-describedby')) ?? '', /lex-pronunciation-error/);
      await page.locator('#lex-pronunciation:focus').waitFor();
      assert.equal(await page.locator('#lex-term-error').count(), 0);
    }
    assert.match((await page.locator('#lex-pronunciation-error').textContent()) ?? '', /\S/);
    assert.deepEqual(await seriousViolations(page), []);
    // Changing the field takes its message away.
    await page.locator('#lex-pronunciation').fill('[Z][AO1][R][K]');
    assert.equal(await page.locator('#lex-pronunciation-error').count(), 0);
    assert.equal(await page.locator('#lex-pronunciation').getAttribute('aria-invalid'), 'false');
    assert.deepEqual(
      (await lexicon()).map((e) => e.term),
      ['Qwzx'],
    );
    await page.locator('#lex-term').fill('');
    await page.locator('#lex-pronunciation').fill('');
  });

  it('fits a phone: no horizontal scrolling at 375 px', async () => {
    await assertFitsPhone(page);
    await page.setViewportSize(DESKTOP);
  });

  it('deletes the entry after asking: gone from the table, the server and the tested sentence', async () => {
    await page.getByRole('button', { name: 'Delete Qwzx' }).click();
    // Asked in place, the keyboard on the confirming button; Escape keeps the entry.
    await page.locator('button:focus', { hasText: 'Yes, delete' }).waitFor();
    await page.keyboard.press('Escape');
    await page.locator('button[aria-label="Delete Qwzx"]:focus').waitFor();
    await page.getByRole('button', { name: 'Delete Qwzx' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.locator('#lex-count').filter({ hasText: '0 entries' }).waitFor();
    assert.equal(await page.locator('[data-testid=lexicon-table]').count(), 0);
    assert.deepEqual(await lexicon(), []);
    await page.locator('[data-testid=test-after] .engine-text').filter({ hasText: SENTENCE }).waitFor();
    assert.equal(await page.locator('[data-testid=test-before] .engine-text').textContent(), SENTENCE);
    assert.match((await page.locator('[data-testid=test-result]').textContent()) ?? '', /No entry applies to this sentence\./);
    assert.deepEqual(problems, []);
  });

  it('speaks Chinese: the page in the other catalog', async () => {
    await page.getByTestId('language').click();
    await page.getByRole('heading', { level: 1, name: '词典' }).waitFor();
    assert.equal(await page.locator('label[for=lex-pronunciation]').textContent(), '发音');
    assert.deepEqual(await seriousViolations(page), []);
    await page.getByTestId('language').click();
    await page.getByRole('heading', { level: 1, name: 'Lexicon' }).waitFor();
  });
});

describe('the History page', () => {
  const TEXT = 'History keeps this one.';
  let outputId = '';

  it('keeps a take from the Speak page ("keep in history": store true)', async () => {
    await page.goto(`${server.url}/#/speak`);
    await page.locator('#text').fill(TEXT);
    await page.locator('#keep').check();
    await page.getByRole('button', { name: 'Speak', exact: true }).click();
    const kept = page.locator('[data-testid=kept]');
    await kept.waitFor();
    outputId = /out_[a-z0-9]+/.exec((await kept.textContent()) ?? '')?.[0] ?? '';
    assert.match(outputId, /^out_/);
    assert.deepEqual(
      (await outputs()).map((o) => o.id),
      [outputId],
    );
    // The request, for "re-run with changes", in this tab only.
    const request = JSON.parse((await page.evaluate(`sessionStorage.getItem("cosyfleet.request.${outputId}")`)) as string) as { text: string; store: boolean; format: string };
    assert.deepEqual([request.text, request.store, request.format], [TEXT, true, 'mp3']);
    assert.deepEqual(problems, []);
  });

  it('lists the output, plays it from the service and downloads the same bytes', async () => {
    await page.getByRole('link', { name: 'Open History' }).click();
    await page.getByRole('heading', { level: 1, name: 'History' }).waitFor();
    const item = page.locator(`li[data-id=${outputId}]`);
    await item.waitFor();
    assert.equal(await page.locator('ul.outputs > li').count(), 1);
    assert.match((await item.textContent()) ?? '', new RegExp(`${TEXT}.*MP3 · \\d+\\.\\d s · [\\d.]+ KB · 23 characters`));

    await item.getByRole('button', { name: 'Play', exact: true }).click();
    await played(page, `li[data-id=${outputId}] audio`);
    assert.match((await item.locator('audio').getAttribute('src')) ?? '', /^blob:/);

    const [download] = await Promise.all([page.waitForEvent('download'), item.getByRole('button', { name: 'Download MP3' }).click()]);
    assert.equal(download.suggestedFilename(), `cosyfleet-${outputId}.mp3`);
    const res = await fetch(`${server.url}/v1/outputs/${outputId}/audio`);
    assert.equal(res.status, 200);
    assert.ok((await readFile((await download.path()) as string)).equals(Buffer.from(await res.arrayBuffer())), 'the download is the stored audio');
    assert.deepEqual(await seriousViolations(page), []);
    assert.deepEqual(problems, []);
  });

  it('re-runs with changes: the Speak page gets the request, and the new take is kept too', async () => {
    await page.locator(`li[data-id=${outputId}]`).getByRole('button', { name: 'Re-run with changes' }).click();
    await page.getByRole('heading', { level: 1, name: 'Speak' }).waitFor();
    assert.equal(await page.locator('#text').inputValue(), TEXT);
    assert.equal(await page.locator('#keep').isChecked(), true);
    assert.equal(await page.locator('#format').inputValue(), 'mp3');
    await page.locator('#text').fill('History keeps this one too.');
    await page.getByRole('button', { name: 'Speak', exact: true }).click();
    await page.locator('[data-testid=kept]').waitFor();
    await page.getByRole('link', { name: 'Open History' }).click();
    await page.locator('ul.outputs > li').nth(1).waitFor();
    const ids = await page.locator('ul.outputs > li').evaluateAll((els) => els.map((el) => el.getAttribute('data-id')));
    assert.deepEqual(
      ids,
      (await outputs()).map((o) => o.id),
    );
    assert.equal(ids[1], outputId, 'newest first');
    assert.match((await page.locator('ul.outputs > li').first().textContent()) ?? '', /History keeps this one too\./);
  });

  it('deletes an output after asking: gone from the page and the server', async () => {
    const item = page.locator(`li[data-id=${outputId}]`);
    await item.getByRole('button', { name: /^Delete / }).click();
    await item.getByRole('button', { name: 'Yes, delete' }).click();
    await item.waitFor({ state: 'detached' });
    assert.equal((await fetch(`${server.url}/v1/outputs/${outputId}`)).status, 404);
    assert.equal(await page.evaluate(`sessionStorage.getItem("cosyfleet.request.${outputId}")`), null);
    assert.equal(await page.locator('ul.outputs > li').count(), 1);
    assert.deepEqual(problems, []);
  });

  it('pages through older outputs with `after`; outputs made elsewhere offer no re-run', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await postJson(`${server.url}/v1/tts`, { text: `Made by the API, number ${i + 1}.`, format: 'wav', store: true });
      assert.equal(res.status, 200, await res.clone().text());
      await res.arrayBuffer();
    }
    const all = (await outputs()).map((o) => o.id);
    assert.equal(all.length, 21);
    await page.reload();
    await page.locator('ul.outputs > li').nth(19).waitFor();
    assert.equal(await page.locator('ul.outputs > li').count(), 20);
    assert.equal(await page.locator('ul.outputs > li').first().getByRole('button', { name: 'Re-run with changes' }).count(), 0);
    await page.getByRole('button', { name: 'Show older outputs' }).click();
    await page.locator('ul.outputs > li').nth(20).waitFor();
    assert.deepEqual(await page.locator('ul.outputs > li').evaluateAll((els) => els.map((el) => el.getAttribute('data-id'))), all);
    assert.equal(await page.getByRole('button', { name: 'Show older outputs' }).count(), 0);
    // The one the studio made is the oldest: it alone can be re-run.
    assert.equal(await page.getByRole('button', { name: 'Re-run with changes' }).count(), 1);
    await assertFitsPhone(page);
    assert.deepEqual(problems, []);
  });
});
