// The Speak page's pronunciation tools and player in a real browser (Debian's Chromium through
// playwright-core) against a real server on loopback with the real espeak engine, serving a studio
// built from web/ for this run: a click on a word shows its readings from GET /v1/pronounce, one
// click inserts them, another saves them to the lexicon; every invalid token is underlined with its
// own message; the take's waveform is drawn while it plays. Before the browser, the pure parts the
// page is built on (which word is "here", the list of invalid tokens) against the server's own
// validator. One browser; one page. A screenshot of the page goes to dist/test-artifacts/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';
import { postJson, startTestServer, type TestServer } from '../helpers/server.js';
import { lookupTarget } from '../../web/src/speak/word-at.js';
import { localIssues, shownIssues, validatorAgrees } from '../../web/src/speak/token-issue.js';
import { chosenTokens } from '../../web/src/speak/pronounce.js';
import { assertFitsPhone, DESKTOP, screenshot, seriousViolations, StudioHarness, WAIT_MS } from './browser.js';


interface PronounceWire {
  items: { text: string; position: number; found: boolean; readings: { tokens: string; raw: string }[] }[];
}
interface EntryWire {
  term: string;
  pronunciation: string;
  language: string | null;
}
interface ErrorWire {
  error: { code: string; message: string };
}

describe('the word to look up', () => {
  it('is the Latin word around the caret, or just after it; never a token', () => {
    const text = 'Wait a minute, [M][AY0] well-known.';
    assert.deepEqual(lookupTarget(text, text.indexOf('minute') + 3, text.indexOf('minute') + 3), { text: 'minute', start: 7, end: 13, language: 'en', query: 'minute', queryOffset: 0 });
    assert.equal(lookupTarget(text, 13, 13)?.text, 'minute');
    assert.equal(lookupTarget(text, text.indexOf('well') + 6, text.indexOf('well') + 6)?.text, 'well-known');
    assert.equal(lookupTarget(text, text.indexOf('[AY0]') + 2, text.indexOf('[AY0]') + 2), null);
    assert.equal(lookupTarget(text, 4, 5), null, 'a selection that is not a whole word');
    assert.equal(lookupTarget(text, 6, 13)?.text, 'minute', 'a selected word, its spaces aside');
    assert.equal(lookupTarget(text, 6, 14), null, 'a word and a comma');
  });

  it('is the Han character at the caret, with neighbours as context, or a selection of Han characters', () => {
    const text = '我们去银行取钱。';
    const at = text.indexOf('行');
    assert.deepEqual(lookupTarget(text, at, at), { text: '行', start: at, end: at + 1, language: 'cmn', query: '我们去银行取钱', queryOffset: 4 });
    // Four neighbours at most each side: the fifth before is left out.
    assert.equal(lookupTarget(`五${text}`, at + 1, at + 1)?.query, '我们去银行取钱');
    // After the last character of the run, the one before the caret.
    assert.equal(lookupTarget(text, text.indexOf('。'), text.indexOf('。'))?.text, '钱');
    assert.deepEqual(lookupTarget(text, text.indexOf('银'), at + 1), { text: '银行', start: 3, end: 5, language: 'cmn', query: '我们去银行取钱', queryOffset: 3 });
    // A character outside the BMP keeps its two UTF-16 units together.
    const rare = '𠀀行';
    assert.deepEqual(lookupTarget(rare, 2, 2), { text: '行', start: 2, end: 3, language: 'cmn', query: '𠀀行', queryOffset: 2 });
  });

  it('joins chosen readings: English parts as separate runs, Han syllables as one', () => {
    const en = [{ readings: [{ tokens: '[S][EH1][L][F]' }] }, { readings: [{ tokens: '[D][R][AY1][V][IH0][NG]' }] }];
    assert.equal(chosenTokens(en, [0, 0], 'en'), '[S][EH1][L][F] [D][R][AY1][V][IH0][NG]');
    const zh = [{ readings: [{ tokens: '[y][ín]' }] }, { readings: [{ tokens: '[x][íng]' }, { tokens: '[h][áng]' }] }];
    assert.equal(chosenTokens(zh, [0, 1], 'cmn'), '[y][ín][h][áng]');
    assert.equal(chosenTokens([{ readings: [] }], [0], 'en'), null);
  });
});

describe('every invalid token', () => {
  it('is listed in the words the server uses for its first one, and follows the text as it changes', () => {
    const text = 'a [MAY0] b [ZZ9] c <strong>d';
    const issues = localIssues(text);
    assert.deepEqual(
      issues.map((i) => [i.token, i.position, i.suggestion]),
      [
        ['[MAY0]', 2, '[AY0]'],
        ['[ZZ9]', 11, undefined],
        ['<strong>', 19, undefined],
      ],
    );
    assert.equal(issues[0]?.message, 'Invalid token [MAY0] at position 2: Unknown CMU phoneme token [MAY0]. Did you mean [AY0]?');
    const server = issues[0] as (typeof issues)[number];
    assert.equal(validatorAgrees(server, text), true);
    assert.deepEqual(
      shownIssues(server, true, text.replace('[MAY0]', '[AY0]')).map((i) => [i.token, i.position]),
      [
        ['[ZZ9]', 10],
        ['<strong>', 18],
      ],
    );
    // Where the validator does not find the server's issue, only that one is shown, while it applies.
    const elsewhere = { ...server, position: 40 };
    assert.equal(validatorAgrees(elsewhere, text), false);
    assert.deepEqual(shownIssues(server, false, text), [server]);
    assert.deepEqual(shownIssues(server, false, 'changed'), []);
  });
});

describe('the Speak page in a browser', () => {
  const harness = new StudioHarness();
  let server: TestServer;
  let page: Page;
  let problems: string[];

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${server.url}${path}`);
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as T;
  };
  const settled = () => page.locator('#text-check[data-status=ok], #text-check[data-status=invalid]').waitFor();

  /** A real mouse click on the characters [start, end) of the editor's text, where the layer draws them. */
  async function clickText(start: number, end: number): Promise<void> {
    const box = await page.locator('[data-testid=highlight]').evaluate(
      (layer, [from, to]) => {
        const doc = (layer as unknown as { ownerDocument: { createRange(): { setStart(n: unknown, o: number): void; setEnd(n: unknown, o: number): void; getClientRects(): { x: number; y: number; width: number; height: number }[] }; createTreeWalker(root: unknown, what: number): { nextNode(): { textContent: string } | null } } }).ownerDocument;
        const walker = doc.createTreeWalker(layer, 4);
        const range = doc.createRange();
        let at = 0;
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const len = node.textContent.length;
          if (from >= at && from < at + len) range.setStart(node, from - at);
          if (to > at && to <= at + len) range.setEnd(node, to - at);
          at += len;
        }
        const r = range.getClientRects()[0] as { x: number; y: number; width: number; height: number };
        return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
      },
      [start, end] as const,
    );
    await page.mouse.click(box.x, box.y);
  }

  before(async () => {
    const studioRoot = await harness.build('speak');
    server = await startTestServer({}, { engine: new EspeakEngine({ workers: 1 }), studioRoot });
    harness.defer(() => server.close());
    await harness.launch();
    ({ page, problems } = await harness.open());
  });

  after(() => harness.close());

  it('shows the CMU readings of a clicked English word; one click inserts them, and preview-text shows them', async () => {
    const SENTENCE = 'Wait a minute please.';
    await page.goto(`${server.url}/#/speak`);
    await page.locator('#text').fill(SENTENCE);
    await settled();
    await clickText(SENTENCE.indexOf('minute') + 1, SENTENCE.indexOf('minute') + 2);

    const dialog = page.getByRole('dialog', { name: 'Pronunciation of “minute”' });
    await page.locator('[data-testid=lookup][data-state=ready]').waitFor();
    // The keyboard stays in the text after a click; the word is marked in the layer.
    await page.locator('#text:focus').waitFor(); // focus moves in an effect, after the render a check could see
    assert.equal(await page.locator('[data-testid=highlight] [data-lookup]').textContent(), 'minute');
    const served = await api<PronounceWire>('/v1/pronounce?text=minute&language=en');
    const readings = served.items[0]?.readings.map((r) => r.tokens) ?? [];
    assert.ok(readings.length >= 2 && readings.includes('[M][AY0][N][UW1][T]'), readings.join(' '));
    assert.deepEqual(await dialog.locator('.lookup-reading code').allTextContents(), readings);
    // The service's first reading is chosen; another is one click away.
    assert.equal(await dialog.getByRole('radio', { checked: true }).count(), 1);
    await dialog.locator('label', { hasText: '[M][AY0][N][UW1][T]' }).click();
    await dialog.getByRole('button', { name: 'Insert [M][AY0][N][UW1][T]' }).click();

    await dialog.waitFor({ state: 'detached' });
    const expected = 'Wait a [M][AY0][N][UW1][T] please.';
    assert.equal(await page.locator('#text').inputValue(), expected);
    await page.locator('#text:focus').waitFor(); // focus moves in an effect, after the render a check could see
    assert.equal(await page.locator('[data-testid=highlight] .tok-cmu').count(), 5);
    await page.locator('#text-check[data-status=ok]').waitFor();
    await page.getByRole('button', { name: 'Preview text' }).click();
    // The section appears when the server's answer does (allTextContents does not wait).
    const shown = page.locator('section.preview ol.segments > li code');
    await shown.first().waitFor();
    const segments = await shown.allTextContents();
    assert.deepEqual(segments, [expected]);
    assert.deepEqual(problems, []);
  });

  it('shows every Mandarin reading of a polyphone at the caret, by keyboard; Escape gives the keyboard back to the text', async () => {
    const TEXT = '我们去银行取钱。';
    await page.getByRole('button', { name: 'Hide the preview' }).click();
    const text = page.locator('#text');
    await text.fill(TEXT);
    await text.press('End');
    for (let i = 0; i < TEXT.length - TEXT.indexOf('行'); i++) await text.press('ArrowLeft');
    const button = page.getByRole('button', { name: 'Pronunciation of “行”' });
    await button.focus();
    await page.keyboard.press('Enter');

    const dialog = page.getByRole('dialog', { name: 'Pronunciation of “行”' });
    await page.locator('[data-testid=lookup][data-state=ready]').waitFor();
    const shown = await dialog.locator('.lookup-reading code').allTextContents();
    // Several readings; the one 银行 takes first, as the service orders them in this context.
    const served = await api<PronounceWire>(`/v1/pronounce?text=${encodeURIComponent('我们去银行取钱')}&language=cmn`);
    assert.deepEqual(shown, served.items.find((i) => i.text === '行')?.readings.map((r) => r.tokens));
    assert.ok(shown.length >= 2, shown.join(' '));
    assert.equal(shown[0], '[h][áng]');
    assert.ok(shown.includes('[x][íng]'));
    assert.match((await dialog.textContent()) ?? '', /háng.*xíng|xíng.*háng/);
    // Opened from the keyboard: the keyboard is in the dialog, on the chosen reading.
    await dialog.locator('input[type=radio]:checked:focus').waitFor();
    assert.deepEqual(await seriousViolations(page), []);

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.locator('#text:focus').waitFor(); // focus moves in an effect, after the render a check could see
    assert.equal(await text.inputValue(), TEXT);

    // By keyboard all the way: the next reading, and Enter inserts it (it does not submit the form: nothing is spoken).
    await button.focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=lookup][data-state=ready]').waitFor();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await text.inputValue(), TEXT.replace('行', shown[1] as string));
    await page.locator('#text:focus').waitFor(); // focus moves in an effect, after the render a check could see
    assert.equal(await page.locator('#player-status').getAttribute('data-state'), 'idle');
    assert.deepEqual(problems, []);
  });

  it('saves a chosen reading to the lexicon, which the service then applies', async () => {
    const SENTENCE = 'We live here.';
    await page.locator('#text').fill(SENTENCE);
    await settled();
    await clickText(SENTENCE.indexOf('live') + 1, SENTENCE.indexOf('live') + 2);
    const dialog = page.getByRole('dialog', { name: 'Pronunciation of “live”' });
    await page.locator('[data-testid=lookup][data-state=ready]').waitFor();
    await dialog.locator('label', { hasText: '[L][AY1][V]' }).click();
    await dialog.getByRole('button', { name: 'Save to lexicon' }).click();
    await page.locator('[data-testid=lookup-status]').filter({ hasText: 'Saved “live” → [L][AY1][V] to the lexicon.' }).waitFor();
    const entries = (await api<{ data: EntryWire[] }>('/v1/lexicon')).data;
    assert.deepEqual(
      entries.map((e) => [e.term, e.pronunciation, e.language]),
      [['live', '[L][AY1][V]', null]],
    );
    // Saving left the text alone; the lexicon now changes what the engine receives.
    assert.equal(await page.locator('#text').inputValue(), SENTENCE);
    const preview = await postJson(`${server.url}/v1/tts/preview-text`, { text: SENTENCE });
    assert.match(JSON.stringify(await preview.json()), /We \[L\]\[AY1\]\[V\] here\./);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('#text:focus').waitFor(); // focus moves in an effect, after the render a check could see
    assert.deepEqual(problems, []);
  });

  it('underlines every invalid token, each with its own message; the first is the server\'s own', async () => {
    const TEXT = 'Say [MAY0] then [ZZ9] now.';
    await page.locator('#text').fill(TEXT);
    await page.locator('#text-check[data-status=invalid]').waitFor();
    const refused = await postJson(`${server.url}/v1/tts/preview-text`, { text: TEXT });
    assert.equal(refused.status, 400);
    const { error } = (await refused.json()) as ErrorWire;

    const underlined = page.locator('[data-testid=highlight] .tok-invalid');
    assert.deepEqual(await underlined.allTextContents(), ['[MAY0]', '[ZZ9]']);
    const listed = page.locator('#text-check .issue li');
    assert.equal(await listed.count(), 2);
    assert.equal(await listed.nth(0).locator('p').textContent(), error.message);
    assert.equal(await listed.nth(1).locator('p').textContent(), `Invalid token [ZZ9] at position ${TEXT.indexOf('[ZZ9]')}: Unknown CMU phoneme token [ZZ9].`);
    // Each underline carries its own message, matched to its list entry by position.
    for (let i = 0; i < 2; i++) {
      assert.equal(await underlined.nth(i).getAttribute('data-position'), await listed.nth(i).getAttribute('data-position'));
      assert.equal(await underlined.nth(i).getAttribute('data-message'), await listed.nth(i).locator('p').textContent());
    }
    assert.equal(await page.locator('#text').getAttribute('aria-invalid'), 'true');

    // Fixing the first leaves the second underlined where it now is; the server agrees.
    await page.getByRole('button', { name: 'Replace [MAY0] with [AY0]' }).click();
    assert.equal(await page.locator('#text').inputValue(), 'Say [AY0] then [ZZ9] now.');
    assert.deepEqual(await underlined.allTextContents(), ['[ZZ9]']);
    await page.locator('#text-check[data-status=invalid]').waitFor();
    const again = (await (await postJson(`${server.url}/v1/tts/preview-text`, { text: 'Say [AY0] then [ZZ9] now.' })).json()) as ErrorWire;
    await page.locator('#text-check .issue li p', { hasText: again.error.message }).waitFor();
    assert.equal(await listed.count(), 1);
    assert.deepEqual(await seriousViolations(page), []);
    assert.deepEqual(problems, []);
  });

  it('draws the waveform while the take plays, and offers the download', async () => {
    await page.locator('#text').fill('The waveform follows this sentence as it plays, from the first word to the last.');
    await page.locator('#text-check[data-status=ok]').waitFor();
    await page.getByRole('button', { name: 'Speak', exact: true }).click();
    const canvas = page.locator('canvas[data-testid=waveform]');
    await canvas.waitFor();
    await page.waitForFunction(
      () => {
        const doc = (globalThis as unknown as { document: { querySelector(q: string): { currentTime: number; getAttribute(n: string): string | null } | null } }).document;
        const audio = doc.querySelector('[data-testid=audio]');
        const wave = doc.querySelector('canvas[data-testid=waveform]');
        return audio !== null && wave !== null && audio.currentTime > 0.3 && Number(wave.getAttribute('data-peaks')) > 0;
      },
      undefined,
      { timeout: WAIT_MS },
    );
    const painted = await canvas.evaluate((el) => {
      const c = el as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
      const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) n++;
      return { n, total: data.length / 4 };
    });
    assert.ok(painted.n > 0 && painted.n < painted.total, `${painted.n} of ${painted.total} pixels painted`);
    assert.ok(Number(await canvas.getAttribute('data-duration')) > 0);
    assert.match((await canvas.getAttribute('aria-label')) ?? '', /^Waveform of the take \(\d+\.\d s received\)$/);
    await page.locator('#player-status[data-state=done]').waitFor();
    assert.equal(await page.locator('.player a[download]').getAttribute('download'), 'cosyfleet-speech.mp3');
    assert.deepEqual(await seriousViolations(page), []);
    assert.deepEqual(problems, []);
  });

  it('fits a phone with the readings open, and leaves a screenshot', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    const SENTENCE = 'Give me a minute.';
    await page.locator('#text').fill(SENTENCE);
    await settled();
    await clickText(SENTENCE.indexOf('minute') + 1, SENTENCE.indexOf('minute') + 2);
    await page.locator('[data-testid=lookup][data-state=ready]').waitFor();
    await assertFitsPhone(page);
    await page.setViewportSize(DESKTOP);
    assert.ok(existsSync(await screenshot(page, 'studio-speak.png')));
    assert.deepEqual(problems, []);
  });
});
