// SSML end to end: a real server on loopback with real espeak, SSML posted to POST /v1/tts,
// POST /v1/audio/speech and POST /v1/tts/preview-text. A <break> makes the audio longer by its
// pause (durations as ffmpeg decodes them, two runs compared; no clock), unknown elements come
// back as warnings and never as spoken tag names, malformed SSML is 400 invalid_ssml naming the
// position on every route, and the docs' curl example works as printed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { decodeWithFfmpeg, tempDir, writeTemp } from '../../src/audio/test-helpers.js';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';

interface Preview {
  text: string;
  segments: string[];
  speeds: number[];
  pauses: number[];
  joins: string[];
  language: string;
  lexiconApplied: { position: number; matched: string }[];
  warnings: { code: string; message: string; param?: string }[];
}

interface Warning {
  code: string;
  message: string;
  param?: string;
}

/** Seconds of audio in a response body, as ffmpeg decodes it (streamed WAV headers included). */
async function seconds(res: Response, name = 'speech.wav'): Promise<number> {
  assert.equal(res.status, 200, res.status === 200 ? '' : await res.clone().text());
  const dir = await tempDir('cosyfleet-ssml-');
  try {
    const decoded = await decodeWithFfmpeg(await writeTemp(dir.path, name, Buffer.from(await res.arrayBuffer())));
    return decoded.samples.length / decoded.sampleRate;
  } finally {
    await dir.remove();
  }
}

function warningsOf(res: Response): Warning[] {
  const header = res.headers.get('x-warnings');
  return header === null ? [] : (JSON.parse(header) as Warning[]);
}

/** Every tag name a document uses, for checking none reaches what the engine reads. */
function tagNames(ssml: string): string[] {
  return [...new Set([...ssml.matchAll(/<\/?([A-Za-z][\w:.-]*)/g)].map((m) => m[1] as string))];
}

function assertNoTags(texts: readonly string[], ssml: string): void {
  for (const text of texts) {
    assert.ok(!/[<>]/.test(text), `markup in ${JSON.stringify(text)}`);
    for (const name of tagNames(ssml)) assert.ok(!text.includes(name), `${name} in ${JSON.stringify(text)}`);
  }
}

const UNKNOWN = '<speak>Good <voice name="x">morning</voice>. <mark name="here"/><audio src="http://169.254.169.254/latest/meta-data">The bell rang<desc>bell sound</desc></audio>. <foo:bar>Nested <lang xml:lang="fr">bonjour</lang></foo:bar>.</speak>';

describe('SSML over HTTP', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  const preview = async (body: object): Promise<Preview> => {
    const res = await postJson(`${server.url}/v1/tts/preview-text`, body);
    const raw = await res.text();
    assert.equal(res.status, 200, raw);
    return JSON.parse(raw) as Preview;
  };

  it('preview-text shows what the engine receives: no tag names, the parts, speeds and pauses', async () => {
    const p = await preview({ text: UNKNOWN });
    assert.equal(p.text, 'Good morning. The bell rang. Nested bonjour.');
    assert.deepEqual(p.segments, ['Good morning. The bell rang. Nested bonjour.']);
    for (const t of [p.text, ...p.segments]) {
      assert.ok(!/[<>]/.test(t), t);
      for (const name of ['voice', 'mark', 'audio', 'desc', 'foo', 'bar', 'lang', 'speak', 'bell sound', 'http']) assert.ok(!t.includes(name), `${name} in ${t}`);
    }
    assert.deepEqual(p.warnings.map((w) => w.code), ['ssml_element_ignored']);
    assert.match(p.warnings[0]?.message ?? '', /<voice>, <mark>, <audio>, <desc>, <foo:bar>, <lang>/);

    const timed = await preview({ text: '<speak>Hello.<break time="2s"/>World <prosody rate="x-slow">slowly</prosody>.<break time="500ms"/></speak>' });
    assert.equal(timed.text, 'Hello.\nWorld\nslowly\n.');
    assert.deepEqual(timed.segments, ['Hello.', 'World', 'slowly', '.']);
    assert.deepEqual(timed.speeds, [1, 1, 0.5, 1]);
    // The rate changes inside the sentence are no pause (crossfaded joins), the break is its own.
    assert.deepEqual(timed.pauses, [0, 2000, 0, 0, 500]);
    assert.deepEqual(timed.joins, ['break', 'word', 'word']);
    // Plain text: the gap between segments, nothing at the edges.
    const plain = await preview({ text: 'One. Two.', language: 'en' });
    assert.deepEqual(plain.pauses, [0, 0]);
    assert.deepEqual(plain.speeds, [1]);
  });

  it('POST /v1/tts: a 2 s break makes the audio about 2 s longer than without it; unknown elements are warnings', async () => {
    const tts = (text: string) => postJson(`${server.url}/v1/tts`, { text });
    const without = await tts('<speak>Hello there. General Kenobi.</speak>');
    const withBreak = await tts('<speak>Hello there. <break time="2s"/> General Kenobi.</speak>');
    assert.equal(withBreak.headers.get('x-segments'), '2');
    assert.deepEqual(warningsOf(withBreak), []);
    const long = await seconds(withBreak);
    // Longer by about the pause (espeak's own pause between the two sentences is gone when they are two calls).
    const diff = long - (await seconds(without));
    assert.ok(diff > 1.5 && diff < 2.5, `the break added ${diff.toFixed(3)} s`);
    // The same two segments with a 100 ms break: exactly 1.9 s shorter, to the sample.
    const short = await seconds(await tts('<speak>Hello there. <break time="100ms"/> General Kenobi.</speak>'));
    const rate = Number(withBreak.headers.get('x-sample-rate'));
    assert.equal(Math.round((long - short) * rate), Math.round(1.9 * rate));

    const unknown = await postJson(`${server.url}/v1/tts`, { text: UNKNOWN, stream: true });
    const w = warningsOf(unknown);
    assert.deepEqual(w.map((x) => x.code), ['ssml_element_ignored']);
    assert.equal(w[0]?.param, 'text');
    assert.ok((await seconds(unknown)) > 1);
  });

  it('POST /v1/audio/speech takes SSML input too: the break, the warnings (param input), the errors', async () => {
    const body = { model: 'tts-1', voice: 'alloy', response_format: 'wav' };
    const without = await postJson(`${server.url}/v1/audio/speech`, { ...body, input: '<speak>Hello there. General Kenobi.</speak>' });
    const withBreak = await postJson(`${server.url}/v1/audio/speech`, { ...body, input: '<speak>Hello there. <break time="2s"/> General Kenobi. <emphasis>Bold</emphasis> <mark name="m"/></speak>' });
    const w = warningsOf(withBreak);
    assert.deepEqual(w.map((x) => x.code).sort(), ['ssml_element_ignored', 'ssml_emphasis_ignored', 'voice_mapped']);
    for (const x of w.filter((x) => x.code.startsWith('ssml_'))) assert.equal(x.param, 'input');
    const long = await seconds(withBreak);
    const diff = long - (await seconds(without));
    assert.ok(diff > 1.5, `the break added ${diff.toFixed(3)} s`);
    const short = await seconds(await postJson(`${server.url}/v1/audio/speech`, { ...body, input: '<speak>Hello there. <break time="100ms"/> General Kenobi. <emphasis>Bold</emphasis> <mark name="m"/></speak>' }));
    // Resampled to 24 kHz: within a few samples of 1.9 s.
    assert.ok(Math.abs(long - short - 1.9) < 0.005, `${(long - short).toFixed(4)} s`);

    const bad = await postJson(`${server.url}/v1/audio/speech`, { ...body, input: '<speak>Hello <break time="soon"/></speak>' });
    assert.equal(bad.status, 400);
    const err = (await bad.json()) as { error: { code: string; param: string; message: string; type: string } };
    assert.equal(err.error.code, 'invalid_ssml');
    assert.equal(err.error.param, 'input');
    assert.equal(err.error.type, 'invalid_request_error');
    assert.match(err.error.message, /^Invalid SSML at line 1, column 21 \(position 20\): <break time="soon"> is not a duration/);
  });

  it('malformed SSML is 400 invalid_ssml naming the position on every route, before any audio', async () => {
    const cases: [string, RegExp][] = [
      ['<speak>\n <break time="soon"/></speak>', /^Invalid SSML at line 2, column 9 \(position 16\): <break time="soon"> is not a duration such as 500ms or 1\.5s\.$/],
      ['<speak><p>Hello</speak>', /<\/speak> does not close <p>/],
      ['<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]><speak>&x;</speak>', /a DOCTYPE is not accepted/],
      ['<speak>caf&eacute;</speak>', /unknown entity "&eacute;"/],
      ['<speak><phoneme alphabet="cmu" ph="M AY9">x</phoneme></speak>', /"AY9" in ph is not a CMU phoneme/],
    ];
    for (const [text, message] of cases) {
      for (const [path, body] of [['/v1/tts', { text }], ['/v1/tts', { text, stream: true }], ['/v1/tts/preview-text', { text }]] as const) {
        const res = await postJson(`${server.url}${path}`, body);
        assert.equal(res.status, 400, path);
        const json = (await res.json()) as { error: { code: string; message: string; param: string } };
        assert.equal(json.error.code, 'invalid_ssml');
        assert.equal(json.error.param, 'text');
        assert.match(json.error.message, message);
      }
    }
  });

  it('the lexicon applies to SSML text, with positions in the SSML', async () => {
    const entry = await postJson(`${server.url}/v1/lexicon`, { term: 'Qwzx', pronunciation: '[K][W][IH1][Z]' });
    assert.equal(entry.status, 201, await entry.text());
    const text = '<speak>\n  <p>Meet <emphasis>Qwzx</emphasis> today.</p>\n</speak>';
    const p = await preview({ text });
    assert.equal(p.text, 'Meet [K][W][IH1][Z] today.');
    assert.deepEqual(p.lexiconApplied.map((a) => [a.matched, a.position]), [['Qwzx', text.indexOf('Qwzx')]]);
    const off = await preview({ text, lexicon: false });
    assert.equal(off.text, 'Meet Qwzx today.');
  });

  it('the curl example in docs/api.md works as printed', async () => {
    const api = await readFile(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const start = api.indexOf('### SSML\n');
    assert.ok(start >= 0, 'docs/api.md has an SSML section');
    const section = api.slice(start, api.indexOf('\n## ', start));
    const cmd = /curl [\s\S]*?-o (\S+)/.exec(section.replace(/\\\n\s*/g, ' '));
    assert.ok(cmd, 'a curl example');
    const path = /http:\/\/127\.0\.0\.1:8080(\/\S*)/.exec(cmd[0])?.[1];
    const body = /-d '([^']*)'/.exec(cmd[0])?.[1];
    assert.ok(path && body);
    const parsed = JSON.parse(body) as { text: string };
    const res = await postJson(`${server.url}${path}`, parsed);
    assert.deepEqual(warningsOf(res), []);
    assert.ok((await seconds(res)) > 2);
    const p = await preview(parsed);
    assertNoTags([p.text, ...p.segments], parsed.text);
    assert.ok(p.pauses.includes(1000));
    assert.ok(p.speeds.includes(0.75));
    assert.match(p.text, /S S M L/);
  });
});
