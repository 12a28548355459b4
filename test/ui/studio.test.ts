// The studio end to end in a real browser: Debian's Chromium driven by playwright-core, against
// a real server on loopback serving a studio built from web/ for this run. The engine is the real
// espeak engine; GateEngine only holds one chosen engine call so the test can show that audio
// plays while the rest of the response has not arrived. One browser; one page per server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';
import { GateEngine } from '../helpers/gate-engine.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { speech, uploadVoice } from '../helpers/voices.js';
import { assertFitsPhone, openPage, seriousViolations, StudioHarness, WAIT_MS } from './browser.js';

const API_KEY = 'studio-ui-test-key-0123456789';

// Over 400 characters (espeak's longest segment), so the text is two engine calls; the gate
// holds the one with the zebra. The emoji is what espeak cannot read: a warning.
const FIRST_SEGMENT = Array.from({ length: 7 }, (_, i) => `Sentence ${i + 1} of the studio test plays while the rest is made.`).join(' ') + ' 😀';
const HELD = 'The zebra waits at the gate.';

const harness = new StudioHarness();
let studioDir: string;

before(async () => {
  studioDir = await harness.build('ui');
  await harness.launch();
});

after(() => harness.close());

const currentTime = (page: Page) => page.locator('audio').evaluate((el) => (el as unknown as { currentTime: number }).currentTime);
/** Waits until the media element has played past `seconds` (a function, not a string: the CSP forbids eval). */
const playedPast = (page: Page, seconds: number) =>
  page.waitForFunction((s) => ((globalThis as unknown as { document: { querySelector(q: string): { currentTime: number } } }).document.querySelector('audio').currentTime > s), seconds, { timeout: WAIT_MS });

describe('the studio (AUTH=off)', () => {
  let server: TestServer;
  let engine: GateEngine;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  before(async () => {
    engine = new GateEngine(new EspeakEngine({ workers: 2 }));
    server = await startTestServer({}, { engine, studioRoot: studioDir });
    // A voice in the library, for the picker's second group.
    const upload = await uploadVoice(server.url, { audio: { bytes: await speech(server.url, { format: 'wav' }), type: 'audio/wav' }, fields: { name: 'Studio voice' } });
    assert.equal(upload.status, 201, await upload.clone().text());
    ({ context, page, problems } = await harness.open());
  });
  after(async () => {
    // A held engine call would keep the server from closing.
    engine?.open();
    await context?.close();
    await server?.close();
  });

  it('loads the page and its assets from the service itself, under its CSP', async () => {
    const requested: string[] = [];
    page.on('request', (req) => requested.push(req.url()));
    const res = await page.goto(`${server.url}/`);
    assert.equal(res?.status(), 200);
    assert.match(res?.headers()['content-security-policy'] ?? '', /default-src 'self'/);
    await page.locator('#text').waitFor();
    await page.locator('#voice option').first().waitFor({ state: 'attached' });
    assert.equal(await page.locator('h1').textContent(), 'Speak');
    // The voice picker: the engine's presets (with gender and languages), then the library.
    const presets = await page.locator('#voice optgroup[label="Presets"] option').allTextContents();
    assert.ok(presets.length >= 3 && presets.some((p) => /female/.test(p)) && presets.some((p) => /\bmale/.test(p)), presets.join(' | '));
    assert.match((await page.locator('#voice optgroup[label="Your voices"] option').allTextContents()).join(), /^Studio voice · recorded in English$/);
    assert.deepEqual(requested.filter((u) => !u.startsWith(`${server.url}/`)), [], 'nothing but the service itself is asked for anything');
    assert.ok(requested.some((u) => /\/assets\/index-[\w-]+\.js$/.test(u)), 'the script came from /assets/');
    // AUTH=off: no key is asked for.
    assert.equal(await page.locator('#api-key').count(), 0);
    assert.deepEqual(problems, []);
  });

  it('colours tokens as the server scans them, underlines an invalid one with the server\'s hint, and fixes it', async () => {
    const text = page.locator('#text');
    await text.fill('Give me a [M][AY0][N][UW1][T], [laughter] and <strong>now</strong>: ');
    await text.press('End');
    // Typed, as a person would: the check runs when typing pauses.
    await text.pressSequentially('a [MAY0].');
    const issue = page.locator('#text-check .issue');
    await issue.waitFor();
    assert.match((await issue.textContent()) ?? '', /Invalid token \[MAY0\] at position \d+: .*Did you mean \[AY0\]\?/);
    assert.equal(await text.getAttribute('aria-invalid'), 'true');
    const layer = page.locator('[data-testid=highlight]');
    assert.equal(await layer.locator('.tok-invalid').textContent(), '[MAY0]');
    assert.equal(await layer.locator('.tok-cmu:not(.tok-invalid)').count(), 5);
    assert.equal(await layer.locator('.tok-paralinguistic').textContent(), '[laughter]');
    assert.deepEqual(await layer.locator('.tok-markup').allTextContents(), ['<strong>', '</strong>']);
    // The layer draws exactly the textarea's text.
    assert.equal((await layer.textContent())?.replace(/\u200b$/, ''), await text.inputValue());

    await page.getByRole('button', { name: 'Replace [MAY0] with [AY0]' }).click();
    assert.equal(await text.inputValue(), 'Give me a [M][AY0][N][UW1][T], [laughter] and <strong>now</strong>: a [AY0].');
    await page.locator('#text-check[data-status=ok]').waitFor();
    assert.equal(await text.getAttribute('aria-invalid'), 'false');
    assert.equal(await layer.locator('.tok-invalid').count(), 0);
    assert.deepEqual(problems, []);
  });

  it('previews what the engine receives', async () => {
    await page.locator('#text').fill(`${FIRST_SEGMENT} ${HELD}`);
    await page.locator('#text-check[data-status=ok]').waitFor();
    await page.getByRole('button', { name: 'Preview text' }).click();
    const preview = page.locator('section.preview');
    await preview.waitFor();
    assert.equal(await preview.locator('ol.segments > li').count(), 2);
    assert.match((await preview.locator('ol.segments > li').nth(1).textContent()) ?? '', /The zebra waits at the gate\./);
    assert.match((await preview.textContent()) ?? '', /unreadable_skipped/);
  });

  it('plays MP3 while it streams: the media element advances before the response is complete', async () => {
    engine.hold = /zebra/;
    try {
      await page.getByRole('button', { name: 'Speak', exact: true }).click();
      await playedPast(page, 0.3);
      // The second segment's engine call is still held: the response has not ended, yet it plays.
      assert.equal(engine.held, 1);
      assert.ok(engine.events.some((e) => /^held .*zebra/.test(e)), engine.events.join('\n'));
      assert.ok(!engine.events.some((e) => /^start .*zebra/.test(e)), engine.events.join('\n'));
      assert.equal(await page.locator('#player-status').getAttribute('data-state'), 'streaming');
      // The server's warnings (X-Warnings) are on the page while it plays.
      assert.match((await page.locator('.player .warnings').textContent()) ?? '', /unreadable_skipped/);
    } finally {
      engine.open();
    }
    await page.locator('#player-status[data-state=done]').waitFor();
    assert.ok(engine.events.some((e) => /^end .*zebra/.test(e)));
    const link = page.locator('.player a[download]');
    assert.equal(await link.getAttribute('download'), 'cosyfleet-speech.mp3');
    assert.match((await link.getAttribute('href')) ?? '', /^blob:/);
    assert.match((await page.locator('#player-status').textContent()) ?? '', /2 segment\(s\)/);
    await playedPast(page, await currentTime(page));
    assert.deepEqual(problems, []);
  });

  it('has no serious or critical accessibility violations (axe-core)', async () => {
    assert.deepEqual(await seriousViolations(page), []);
  });

  it('switches the interface to Chinese and back', async () => {
    await page.getByTestId('language').click();
    await page.getByRole('heading', { level: 1, name: '朗读' }).waitFor();
    // <html lang> follows in an effect, after the render the heading shows.
    await page.locator('html[lang=zh-CN]').waitFor({ state: 'attached' });
    assert.ok((await page.locator('nav').textContent())?.includes('音色'));
    assert.equal(await page.locator('label[for=voice]').textContent(), '音色');
    assert.equal(await page.getByRole('button', { name: '朗读', exact: true }).count(), 1);
    assert.equal(await page.getByTestId('language').textContent(), 'English');
    assert.deepEqual(await seriousViolations(page), []);
    // Remembered across a reload (a preference in localStorage).
    await page.reload();
    await page.getByRole('heading', { level: 1, name: '朗读' }).waitFor();
    await page.getByTestId('language').click();
    await page.getByRole('heading', { level: 1, name: 'Speak' }).waitFor();
    await page.locator('html[lang=en]').waitFor({ state: 'attached' });
  });

  it('is usable by keyboard: the skip link, then the navigation, in order', async () => {
    await page.goto(`${server.url}/`);
    await page.locator('#text').waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.className'), 'skip');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.getAttribute("href")'), '#/voices');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Voices' }).waitFor();
    await page.locator('h1:focus').waitFor();
    await page.goto(`${server.url}/#/speak`);
    await page.locator('#text').waitFor();
  });

  it('fits a phone: no horizontal scrolling at 375 px', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.locator('#text').fill(`${FIRST_SEGMENT} a [MAY0] ${'x'.repeat(120)}`);
    await page.locator('#text-check .issue').waitFor();
    await assertFitsPhone(page);
    assert.deepEqual(problems, []);
  });
});

describe('the studio (AUTH=keys)', () => {
  let server: TestServer;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  before(async () => {
    server = await startTestServer({ auth: 'keys', apiKeys: API_KEY }, { studioRoot: studioDir });
    ({ context, page, problems } = await harness.open({ viewport: { width: 1024, height: 800 } }));
  });
  after(async () => {
    await context?.close();
    await server?.close();
  });

  it('serves the page without a key and asks for one; a wrong key is refused in the server\'s words', async () => {
    const res = await page.goto(`${server.url}/`);
    assert.equal(res?.status(), 200);
    const input = page.locator('#api-key');
    await input.waitFor();
    await page.locator('#api-key:focus').waitFor();
    assert.deepEqual(await seriousViolations(page), []);
    await input.fill('cf_not-a-key-of-this-service');
    await page.getByRole('button', { name: 'Use this key' }).click();
    await page.locator('#api-key-error').filter({ hasText: /\S/ }).waitFor();
    assert.equal(await page.locator('#text').count(), 0);
    assert.equal(await input.getAttribute('aria-invalid'), 'true');
  });

  it('keeps a good key for the tab: reloads keep it, another tab asks again, forgetting asks again', async () => {
    await page.locator('#api-key').fill(API_KEY);
    await page.keyboard.press('Enter');
    await page.locator('#text').waitFor();
    await page.locator('#voice optgroup option').first().waitFor({ state: 'attached' });
    assert.equal(await page.evaluate('sessionStorage.getItem("cosyfleet.apiKey")'), API_KEY);
    assert.equal(await page.evaluate(`Object.keys(localStorage).some((k) => localStorage.getItem(k).includes(${JSON.stringify(API_KEY)}))`), false);
    await page.reload();
    await page.locator('#text').waitFor();
    assert.equal(await page.locator('#api-key').count(), 0);

    const other = await openPage(context);
    await other.page.goto(`${server.url}/`);
    await other.page.locator('#api-key').waitFor();
    await other.page.close();

    await page.getByRole('button', { name: 'Forget key' }).click();
    await page.locator('#api-key').waitFor();
    assert.equal(await page.evaluate('sessionStorage.getItem("cosyfleet.apiKey")'), null);
    assert.deepEqual(problems, []);
  });
});
