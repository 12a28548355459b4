// Text the engine cannot read, end to end: a real server on loopback with real espeak (wrapped
// only to record the text each engine call receives). Emoji and scripts espeak cannot read in
// the request's language are skipped with an `unreadable_skipped` warning, or emoji spoken by
// name on request, and text of nothing else is a 422, never silence or "Chinese letter".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { WrappedEngine } from '../helpers/wrapped-engine.js';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';
import type { SynthesisRequest, SynthesizeOptions } from '../../src/engines/engine.js';
import type { PcmChunk } from '../../src/audio/pcm.js';
import { ffprobeJson, tempDir } from '../../src/audio/test-helpers.js';

interface Warning {
  code: string;
  message: string;
  param: string | null;
}

/** Real espeak; records what each call was asked to say. */
class RecordingEngine extends WrappedEngine {
  readonly texts: string[] = [];
  override synthesize(request: SynthesisRequest, options?: SynthesizeOptions): AsyncIterable<PcmChunk> {
    this.texts.push(request.text);
    return this.inner.synthesize(request, options);
  }
}

const warningsOf = (res: Response): Warning[] => JSON.parse(res.headers.get('x-warnings') ?? '[]') as Warning[];

async function errorOf(res: Response, status: number): Promise<Warning> {
  const raw = await res.text();
  assert.equal(res.status, status, raw);
  return (JSON.parse(raw) as { error: Warning }).error;
}

describe('text the engine cannot read', () => {
  let server: TestServer;
  let engine: RecordingEngine;
  let dir: { path: string; remove: () => Promise<void> };
  const tts = () => `${server.url}/v1/tts`;

  before(async () => {
    engine = new RecordingEngine(new EspeakEngine({ workers: 1 }));
    server = await startTestServer({}, { engine });
    dir = await tempDir('cosyfleet-unreadable-');
  });
  after(async () => {
    await server.close();
    await dir.remove();
  });

  /** A 200 with real audio, judged by ffprobe. */
  async function audioOf(res: Response, name: string): Promise<number> {
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(res.status, 200, bytes.toString());
    const file = join(dir.path, `${name}.wav`);
    await writeFile(file, bytes);
    const seconds = Number((await ffprobeJson(file)).format.duration);
    assert.ok(seconds > 0.3, `${name}: ${seconds} s of audio`);
    return seconds;
  }

  it('English text with emoji: audio of the words, the emoji skipped with a warning', async () => {
    engine.texts.length = 0;
    const res = await postJson(tts(), { text: 'Hello 😀 world 👨‍👩‍👧!', voice: 'mei' });
    await audioOf(res, 'skip');
    assert.deepEqual(engine.texts, ['Hello world!']);
    const warnings = warningsOf(res);
    assert.deepEqual(warnings.map((w) => [w.code, w.param]), [['unreadable_skipped', 'text']]);
    assert.equal(warnings[0]?.message, 'Skipped 2 characters the espeak engine cannot read in en: 😀, 👨‍👩‍👧. Send "unreadable": "names" to hear emoji by their names.');
    // The header itself is ASCII: the emoji travel as \u escapes.
    assert.match(res.headers.get('x-warnings') ?? '', /^[\x20-\x7e]+$/);
  });

  it('"unreadable": "names" speaks the emoji\'s name, and preview-text shows it', async () => {
    engine.texts.length = 0;
    const body = { text: 'Hello 😀 world', unreadable: 'names', voice: 'mei' };
    const named = await audioOf(await postJson(tts(), body), 'names');
    assert.deepEqual(engine.texts, ['Hello grinning face world']);
    const preview = await postJson(`${server.url}/v1/tts/preview-text`, body);
    assert.equal(preview.status, 200);
    const shown = (await preview.json()) as { text: string; segments: string[]; warnings: Warning[] };
    assert.equal(shown.text, 'Hello grinning face world');
    assert.deepEqual(shown.segments, ['Hello grinning face world']);
    assert.deepEqual(shown.warnings, []);
    // The name is spoken: the same request without it is shorter (espeak is deterministic).
    const skipped = await audioOf(await postJson(tts(), { ...body, unreadable: 'skip' }), 'names-skipped');
    assert.ok(named > skipped + 0.3, `${named} s with the name, ${skipped} s without`);
  });

  it('Japanese kanji on espeak: the kana is spoken, the kanji skipped with a warning', async () => {
    engine.texts.length = 0;
    const res = await postJson(tts(), { text: '日本語です。', language: 'ja' });
    await audioOf(res, 'ja');
    assert.deepEqual(engine.texts, ['です。']);
    assert.equal(res.headers.get('x-audio-language'), 'ja');
    const warnings = warningsOf(res);
    assert.equal(warnings[0]?.code, 'unreadable_skipped');
    assert.equal(warnings[0]?.message, 'Skipped 3 characters the espeak engine cannot read in ja: 日本語.');
    // Detected Japanese gets the same; Mandarin reads the characters.
    const detected = await postJson(`${server.url}/v1/tts/preview-text`, { text: '日本語です。' });
    assert.deepEqual(((await detected.json()) as { segments: string[] }).segments, ['です。']);
    const mandarin = await postJson(`${server.url}/v1/tts/preview-text`, { text: '日本语很难。' });
    const plan = (await mandarin.json()) as { segments: string[]; warnings: Warning[]; language: string };
    assert.equal(plan.language, 'cmn');
    assert.deepEqual(plan.segments, ['日本语很难。']);
    assert.deepEqual(plan.warnings, []);
  });

  it('all-emoji text is 422 nothing_to_speak, naming what would be skipped; with names it is speech', async () => {
    const err = await errorOf(await postJson(tts(), { text: '😀 🎉 🇯🇵' }), 422);
    assert.equal(err.code, 'nothing_to_speak');
    assert.equal(err.param, 'text');
    assert.match(err.message, /nothing the espeak engine can read in en: it would skip 😀 🎉 🇯🇵\. .*"unreadable": "names"/u);
    const preview = await errorOf(await postJson(`${server.url}/v1/tts/preview-text`, { text: '漢字', language: 'ja' }), 422);
    assert.equal(preview.code, 'nothing_to_speak');
    await audioOf(await postJson(tts(), { text: '😀 🎉 🇯🇵', unreadable: 'names' }), 'all-emoji-names');
  });

  it('refuses an unknown policy by name', async () => {
    const err = await errorOf(await postJson(tts(), { text: 'Hi', unreadable: 'spell' }), 400);
    assert.equal(err.code, 'invalid_value');
    assert.equal(err.param, 'unreadable');
  });

  it('the OpenAI-compatible route skips them too, the warning naming `input`', async () => {
    const res = await postJson(`${server.url}/v1/audio/speech`, { model: 'tts-1', voice: 'alloy', input: 'Hello 😀 world', response_format: 'wav' });
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(res.status, 200, bytes.toString());
    const w = warningsOf(res).find((x) => x.code === 'unreadable_skipped');
    assert.equal(w?.param, 'input');
  });

  it('GET /v1/engines says what the engine reads', async () => {
    const res = await fetch(`${server.url}/v1/engines`);
    const body = (await res.json()) as { data: { readable: { scripts: Record<string, string[]>; emoji: boolean } }[] };
    const readable = body.data[0]?.readable;
    assert.equal(readable?.emoji, false);
    assert.ok(readable?.scripts.ja?.includes('Hiragana'));
    assert.ok(!readable?.scripts.ja?.includes('Han'));
    assert.ok(readable?.scripts.cmn?.includes('Han'));
  });
});

describe('UNREADABLE_TEXT=names as the server default', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ unreadableText: 'names' });
  });
  after(() => server.close());

  it('names emoji unless the request says skip', async () => {
    const preview = (body: object) => postJson(`${server.url}/v1/tts/preview-text`, body).then((r) => r.json() as Promise<{ text: string }>);
    assert.equal((await preview({ text: 'I ❤️ you' })).text, 'I red heart you');
    assert.equal((await preview({ text: 'Ich ❤️ dich', language: 'de' })).text, 'Ich rotes Herz dich');
    assert.equal((await preview({ text: 'I ❤️ you', unreadable: 'skip' })).text, 'I you');
  });
});
