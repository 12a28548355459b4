// What reaches the engine is bounded however the text got there: lexicon output counts against
// MAX_TEXT_CHARS and is refused (not truncated) past it, no segment exceeds the engine's
// maxSegmentChars (a long token run is split between tokens), and text with nothing to speak is
// a 4xx, never an empty 200. Real server on loopback, real espeak, ffprobe judging the audio.
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { ffprobeJson, tempDir, writeTemp } from '../../src/audio/test-helpers.js';
import type { PcmChunk } from '../../src/audio/pcm.js';
import type { SynthesisRequest, SynthesizeOptions } from '../../src/engines/engine.js';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';
import { scanAnnotations } from '../../src/text/annotations.js';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { WrappedEngine } from '../helpers/wrapped-engine.js';
import { expectError } from '../helpers/voices.js';

/** The real espeak engine, recording the text of every engine call. */
class RecordingEngine extends WrappedEngine {
  readonly texts: string[] = [];
  override synthesize(request: SynthesisRequest, options?: SynthesizeOptions): AsyncIterable<PcmChunk> {
    this.texts.push(request.text);
    return super.synthesize(request, options);
  }
}

interface Preview {
  text: string;
  segments: string[];
  lexiconApplied: unknown[];
}

const MAX_TEXT = 1000;
const ESPEAK_MAX_SEGMENT = 400;
// 300 characters, the longest pronunciation an entry may have.
const LONG_PRONUNCIATION = '[IY1]'.repeat(60);

async function preview(server: TestServer, body: object): Promise<Preview> {
  const res = await postJson(`${server.url}/v1/tts/preview-text`, body);
  const raw = await res.text();
  assert.equal(res.status, 200, raw);
  return JSON.parse(raw) as Preview;
}

/** The duration ffprobe reads from a response's audio (seconds). */
async function duration(res: Response): Promise<number> {
  const dir = await tempDir('cosyfleet-text-limits-');
  try {
    const probe = await ffprobeJson(await writeTemp(dir.path, 'speech.wav', Buffer.from(await res.arrayBuffer())));
    return Number(probe.format.duration);
  } finally {
    await dir.remove();
  }
}

/** Tokens survive segmentation byte for byte, and the segments are the text's pieces in order. */
function assertTokensIntact(text: string, segments: readonly string[]): void {
  const tokens = (s: string) => scanAnnotations(s).tokens.map((t) => t.text);
  assert.deepEqual(segments.flatMap(tokens), tokens(text));
  assert.equal(segments.join('').replace(/\s/g, ''), text.replace(/\s/g, ''));
}

describe('lexicon output and segments are bounded', () => {
  let server: TestServer;
  let engine: RecordingEngine;
  before(async () => {
    engine = new RecordingEngine(new EspeakEngine({ workers: 2 }));
    server = await startTestServer({ maxTextChars: MAX_TEXT }, { engine });
    const res = await postJson(`${server.url}/v1/lexicon`, { term: 'e', pronunciation: LONG_PRONUNCIATION, wholeWord: false });
    assert.equal(res.status, 201, await res.text());
  });
  after(() => server.close());
  beforeEach(() => {
    engine.texts.length = 0;
  });

  it('refuses text the lexicon expands past MAX_TEXT_CHARS with 400 text_too_long, before any engine call, on every route', async () => {
    // Four characters become 4 x 300 = 1200 > 1000.
    const messages: string[] = [];
    for (const [path, body] of [
      ['/v1/tts', { text: 'eeee' }],
      ['/v1/tts', { text: 'eeee', stream: true }],
      ['/v1/tts/preview-text', { text: 'eeee' }],
    ] as const) {
      messages.push((await expectError(await postJson(`${server.url}${path}`, body), 400, 'text_too_long', 'text')).message);
    }
    const openai = await postJson(`${server.url}/v1/audio/speech`, { model: 'tts-1', input: 'eeee', voice: 'alloy' });
    assert.equal(openai.status, 400);
    const { error } = (await openai.json()) as { error: { code: string; param: string; message: string } };
    assert.deepEqual([error.code, error.param], ['text_too_long', 'input']);
    for (const message of [...messages, error.message]) {
      // Counted before the text is built (the lexicon refuses it itself).
      assert.match(message, /1200 characters after the lexicon replaced 4 terms/);
      assert.match(message, /at most 1000 per request \(MAX_TEXT_CHARS\)/);
    }
    assert.deepEqual(engine.texts, [], 'the engine never saw the expanded text');
    // The same text without the lexicon is fine.
    assert.equal((await preview(server, { text: 'eeee', lexicon: false })).text, 'eeee');
  });

  it('keeps every segment of lexicon output within the engine\'s maxSegmentChars, splitting runs between tokens', async () => {
    // Three characters become 900 characters of one token run.
    const { text, segments } = await preview(server, { text: 'eee' });
    assert.equal(text, LONG_PRONUNCIATION.repeat(3));
    assert.ok(segments.length >= 3, JSON.stringify(segments));
    for (const s of segments) assert.ok(s.length <= ESPEAK_MAX_SEGMENT, `${s.length} characters`);
    assertTokensIntact(text, segments);
  });

  it('keeps a long run the client wrote within maxSegmentChars too, and speaks it', async () => {
    const run = '[M][AY0]'.repeat(120);
    const { segments } = await preview(server, { text: run });
    assert.ok(segments.every((s) => s.length <= ESPEAK_MAX_SEGMENT));
    assertTokensIntact(run, segments);

    const res = await postJson(`${server.url}/v1/tts`, { text: run });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('x-segments'), String(segments.length));
    assert.deepEqual(engine.texts, segments, 'the engine received exactly the previewed segments');
    const seconds = await duration(res);
    assert.ok(seconds > 5, `duration ${seconds}`);
  });
});

describe('MAX_SEGMENT_CHARS below the engine\'s limit', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ maxSegmentChars: 50 });
  });
  after(() => server.close());

  it('bounds a 4,800-character run ([M][AY0] x 600) by it', async () => {
    const text = '[M][AY0]'.repeat(600);
    const res = await postJson(`${server.url}/v1/tts/preview-text`, { text });
    const { segments } = (await res.json()) as Preview;
    assert.ok(segments.length >= 96);
    assert.ok(segments.every((s) => s.length <= 50), JSON.stringify(segments.map((s) => s.length)));
    assertTokensIntact(text, segments);
  });
});

describe('text with nothing to speak', () => {
  let server: TestServer;
  let engine: RecordingEngine;
  before(async () => {
    engine = new RecordingEngine(new EspeakEngine({ workers: 2 }));
    server = await startTestServer({}, { engine });
  });
  after(() => server.close());
  beforeEach(() => {
    engine.texts.length = 0;
  });

  it('is 422 nothing_to_speak before any engine call: sound events espeak cannot voice, control tokens, markup, punctuation', async () => {
    for (const text of ['[breath]'.repeat(600), '[breath] [laughter] ...', '<|endofprompt|>', '<strong></strong>!', '……']) {
      for (const stream of [false, true]) {
        const error = await expectError(await postJson(`${server.url}/v1/tts`, { text, stream }), 422, 'nothing_to_speak', 'text');
        assert.match(error.message, /nothing the espeak engine can speak/);
      }
      await expectError(await postJson(`${server.url}/v1/tts/preview-text`, { text }), 422, 'nothing_to_speak', 'text');
    }
    const openai = await postJson(`${server.url}/v1/audio/speech`, { model: 'tts-1', input: '[breath]'.repeat(500), voice: 'alloy' });
    assert.equal(openai.status, 422);
    assert.deepEqual(((await openai.json()) as { error: { code: string; param: string } }).error.code, 'nothing_to_speak');
    assert.deepEqual(engine.texts, []);
  });

  it('is 422 nothing_to_speak when the engine makes only silence of what looked speakable, streamed or not', async () => {
    // espeak turns a lone music sign into a few milliseconds of digital silence.
    for (const stream of [false, true]) {
      const error = await expectError(await postJson(`${server.url}/v1/tts`, { text: '♪', stream }), 422, 'nothing_to_speak', 'text');
      assert.match(error.message, /made no sound/);
    }
    assert.deepEqual(engine.texts, ['♪', '♪'], 'the engine was asked');
  });

  it('speaks the words beside events espeak cannot voice: 200 with audio and the paralinguistic_ignored warning', async () => {
    const res = await postJson(`${server.url}/v1/tts`, { text: '[breath] Hello there. [laughter]' });
    assert.equal(res.status, 200, await res.clone().text());
    assert.match(res.headers.get('x-warnings') ?? '', /paralinguistic_ignored/);
    const seconds = await duration(res);
    assert.ok(seconds > 0.5, `duration ${seconds}`);
  });
});
