// The OpenAI-compatible API, driven by the official `openai` npm client exactly as an
// application would use it (only baseURL points here), with ffprobe/ffmpeg judging the audio.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import OpenAI from 'openai';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { ObservedEngine } from '../helpers/observed-engine.js';
import { InstructEngine } from '../helpers/instruct-engine.js';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';
import { decodeWithFfmpeg, ffprobeJson, tempDir, type RawPcmInput } from '../../src/audio/test-helpers.js';
import { int16ToFloat32, rms } from '../../src/audio/pcm.js';
import { OPENAI_VOICE_PRESETS } from '../../src/http/openai-speech.js';

const TEXT = 'Hello from cosyfleet. This sentence is spoken through the OpenAI compatible API.';
const FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;
type Format = (typeof FORMATS)[number];
const CODEC: Record<Format, string> = { mp3: 'mp3', opus: 'opus', aac: 'aac', flac: 'flac', wav: 'pcm_s16le', pcm: 'pcm_s16le' };
const FORMAT_NAME: Record<Format, string> = { mp3: 'mp3', opus: 'ogg', aac: 'aac', flac: 'flac', wav: 'wav', pcm: 's16le' };
const PCM_24K: RawPcmInput = { rawRate: 24000 };

const client = (server: TestServer) => new OpenAI({ apiKey: 'any-key', baseURL: `${server.url}/v1`, maxRetries: 0 });

interface Judged {
  seconds: number;
  level: number;
}

/** ffprobe says codec, container and rate; ffmpeg decodes it; returns decoded length and level. */
async function judge(dir: string, name: string, bytes: Buffer, format: Format): Promise<Judged> {
  const file = join(dir, name);
  await writeFile(file, bytes);
  const raw = format === 'pcm' ? PCM_24K : undefined;
  const probe = await ffprobeJson(file, raw);
  const audio = probe.streams.find((s) => s.codec_type === 'audio');
  assert.ok(audio, `${name}: ffprobe finds an audio stream`);
  assert.equal(audio.codec_name, CODEC[format], name);
  assert.equal(probe.format.format_name, FORMAT_NAME[format], name);
  // Ogg Opus is 48 kHz on the wire; everything else carries OpenAI's 24 kHz.
  assert.equal(Number(audio.sample_rate), format === 'opus' ? 48000 : 24000, name);
  assert.equal(audio.channels, 1, name);
  const decoded = await decodeWithFfmpeg(file, raw);
  const seconds = decoded.samples.length / decoded.sampleRate;
  const level = rms(int16ToFloat32(decoded.samples));
  assert.ok(seconds > 0.5, `${name}: ${seconds} s of audio`);
  assert.ok(level > 0.02, `${name}: rms ${level.toFixed(4)} shows speech, not silence`);
  return { seconds, level };
}

interface SpeechEvent {
  type: string;
  audio?: string;
  usage?: { input_tokens: number; output_tokens: number; total_tokens: number };
}

/** Reads `data:` events from an SSE body as they arrive; `onEvent` sees each one in order. */
async function readSse(body: ReadableStream<Uint8Array>, onEvent?: (e: SpeechEvent) => void): Promise<SpeechEvent[]> {
  const events: SpeechEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      if (!data) continue;
      const event = JSON.parse(data) as SpeechEvent;
      events.push(event);
      onEvent?.(event);
    }
  }
  assert.equal(buffer.trim(), '', 'the stream ends on an event boundary');
  return events;
}

describe('POST /v1/audio/speech with the official openai client', () => {
  let server: TestServer;
  let dir: { path: string; remove: () => Promise<void> };
  /** espeak's own duration for TEXT with the preset alloy maps to, measured on the engine. */
  let engineSeconds = 0;

  before(async () => {
    server = await startTestServer();
    dir = await tempDir('cosyfleet-openai-');
    let n = 0;
    const engine = server.app.engine;
    for await (const c of engine.synthesize({ text: TEXT, language: 'en', voice: OPENAI_VOICE_PRESETS.alloy!, mode: 'preset', speed: 1 })) n += c.samples.length;
    engineSeconds = n / engine.capabilities.sampleRate;
  });
  after(async () => {
    await server.close();
    await dir.remove();
  });

  for (const format of FORMATS) {
    it(`response_format ${format}: valid ${CODEC[format]} audio at OpenAI's rate, as long as the engine spoke`, async () => {
      const response = await client(server).audio.speech.create({ model: 'tts-1', input: TEXT, voice: 'alloy', response_format: format });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('transfer-encoding'), 'chunked');
      assert.equal(response.headers.get('x-engine'), 'espeak');
      assert.equal(response.headers.get('x-sample-rate'), format === 'opus' ? '48000' : '24000');
      const bytes = Buffer.from(await response.arrayBuffer());
      const { seconds } = await judge(dir.path, `speech.${format}`, bytes, format);
      // Lossless formats keep the length to a few resampler samples, so 24 kHz PCM labelled as
      // 22.05 kHz (or the reverse) would be 8% off; lossy codecs add priming and frame padding.
      const tolerance = format === 'pcm' || format === 'wav' || format === 'flac' ? 0.02 : 0.2;
      assert.ok(Math.abs(seconds - engineSeconds) < tolerance, `${format}: ${seconds.toFixed(3)} s vs espeak ${engineSeconds.toFixed(3)} s`);
    });
  }

  it('defaults to mp3, says which preset an OpenAI voice became, and takes every parameter the client sends', async () => {
    const response = await client(server).audio.speech.create({ model: 'gpt-4o-mini-tts', input: 'Short test.', voice: 'onyx' });
    assert.equal(response.headers.get('content-type'), 'audio/mpeg');
    const warnings = JSON.parse(response.headers.get('x-warnings') ?? '[]') as { code: string; param: string; message: string }[];
    assert.deepEqual(warnings.map((w) => [w.code, w.param]), [['voice_mapped', 'voice']]);
    assert.match(warnings[0]!.message, /"onyx" is played by the espeak preset "hao"/);
    await judge(dir.path, 'default.mp3', Buffer.from(await response.arrayBuffer()), 'mp3');

    // Every field of SpeechCreateParams at once: the client adds nothing the server would refuse.
    const all = await client(server).audio.speech.create({
      model: 'cosyvoice3',
      input: 'All parameters.',
      voice: { id: 'kai' },
      instructions: 'Speak cheerfully.',
      response_format: 'wav',
      speed: 1.25,
      stream_format: 'audio',
    });
    assert.equal(all.status, 200);
    await judge(dir.path, 'all.wav', Buffer.from(await all.arrayBuffer()), 'wav');
  });

  it('maps every OpenAI voice to a preset deterministically', async () => {
    const presets = new Set((await server.app.engine.listVoices()).map((v) => v.id));
    for (const [voice, preset] of Object.entries(OPENAI_VOICE_PRESETS)) assert.ok(presets.has(preset), `${voice} -> ${preset}`);
    for (const voice of ['shimmer', 'shimmer']) {
      const response = await client(server).audio.speech.create({ model: 'tts-1', input: 'Hi.', voice, response_format: 'pcm' });
      assert.match(response.headers.get('x-warnings') ?? '', /preset \\"ava\\"/);
      await response.arrayBuffer();
    }
  });

  it('speed outside the engine range is clamped with a warning, and changes the duration', async () => {
    const seconds: Record<string, number> = {};
    for (const speed of [0.25, 1, 4]) {
      const response = await client(server).audio.speech.create({ model: 'tts-1', input: TEXT, voice: 'sam', response_format: 'pcm', speed });
      const warnings = JSON.parse(response.headers.get('x-warnings') ?? '[]') as { code: string; param: string; message: string }[];
      if (speed === 1) assert.deepEqual(warnings, []);
      else {
        assert.deepEqual(warnings.map((w) => [w.code, w.param]), [['speed_clamped', 'speed']]);
        assert.match(warnings[0]!.message, speed < 1 ? /using 0\.5/ : /using 2/);
      }
      seconds[speed] = (await judge(dir.path, `speed-${speed}.pcm`, Buffer.from(await response.arrayBuffer()), 'pcm')).seconds;
    }
    assert.ok(seconds[0.25]! > seconds[1]! * 1.5 && seconds[4]! < seconds[1]! * 0.75, JSON.stringify(seconds));
  });

  it('instructions on an engine without instruct mode: audio plus instructions_ignored, never a failure', async () => {
    const response = await client(server).audio.speech.create({ model: 'tts-1', input: 'Hello.', voice: 'mei', instructions: 'dialect:sichuan', response_format: 'flac' });
    assert.equal(response.status, 200);
    const warnings = JSON.parse(response.headers.get('x-warnings') ?? '[]') as { code: string; param: string }[];
    assert.deepEqual(warnings.map((w) => [w.code, w.param]), [['instructions_ignored', 'instructions']]);
    await judge(dir.path, 'ignored.flac', Buffer.from(await response.arrayBuffer()), 'flac');
  });

  for (const format of ['mp3', 'aac', 'pcm'] as const) {
    it(`stream_format sse (${format}): delta events with base64 audio, then done with usage`, async () => {
      const response = await client(server).audio.speech.create({ model: 'gpt-4o-mini-tts', input: TEXT, voice: 'nova', response_format: format, stream_format: 'sse' });
      assert.equal(response.headers.get('content-type'), 'text/event-stream');
      const events = await readSse(response.body!);
      const deltas = events.filter((e) => e.type === 'speech.audio.delta');
      assert.ok(deltas.length >= 2, `${deltas.length} delta events`);
      assert.deepEqual(events.slice(0, -1).map((e) => e.type), deltas.map(() => 'speech.audio.delta'));
      const done = events.at(-1)!;
      assert.equal(done.type, 'speech.audio.done');
      assert.deepEqual(Object.keys(done.usage!).sort(), ['input_tokens', 'output_tokens', 'total_tokens']);
      assert.equal(done.usage!.input_tokens, [...TEXT].length);
      assert.ok(done.usage!.output_tokens > 0);
      assert.equal(done.usage!.total_tokens, done.usage!.input_tokens + done.usage!.output_tokens);
      for (const d of deltas) assert.deepEqual(Object.keys(d).sort(), ['audio', 'type']);
      const bytes = Buffer.concat(deltas.map((d) => Buffer.from(d.audio!, 'base64')));
      const { seconds } = await judge(dir.path, `sse.${format}`, bytes, format);
      assert.ok(Math.abs(seconds - engineSeconds) < 0.2, `${seconds} s vs ${engineSeconds} s`);
    });
  }

  it('errors reach the client as OpenAI errors with status, message, param and code', async () => {
    const c = client(server);
    const cases: { params: Record<string, unknown>; param: string; code: string; message: RegExp }[] = [
      { params: { input: 'x'.repeat(4097) }, param: 'input', code: 'text_too_long', message: /input has 4097 characters; the maximum is 4096/ },
      { params: { input: '   ' }, param: 'input', code: 'empty_text', message: /input must contain something to say/ },
      { params: { voice: 'nobody' }, param: 'voice', code: 'unknown_voice', message: /voice "nobody": not a preset of the espeak engine \(mei, [^)]*\) and not in the voice library \(GET \/v1\/voices lists both\)/i },
      { params: { speed: 4.5 }, param: 'speed', code: 'invalid_value', message: /speed/ },
      { params: { speed: 0.1 }, param: 'speed', code: 'invalid_value', message: /speed/ },
      { params: { model: 'whisper-1' }, param: 'model', code: 'model_not_found', message: /model "whisper-1" does not exist/ },
      { params: { response_format: 'ogg' }, param: 'response_format', code: 'invalid_value', message: /"mp3", "opus", "aac", "flac", "wav", "pcm"/ },
      { params: { stream_format: 'chunks' }, param: 'stream_format', code: 'invalid_value', message: /"audio", "sse"/ },
      { params: { surprise: true }, param: 'surprise', code: 'unknown_field', message: /Unknown field "surprise"/ },
      { params: { input: 'Bad token [UW7].' }, param: 'input', code: 'invalid_token', message: /Invalid token \[UW7\]/ },
    ];
    for (const { params, param, code, message } of cases) {
      const body = { model: 'tts-1', input: 'Hello.', voice: 'alloy', ...params } as unknown as OpenAI.Audio.SpeechCreateParams;
      await assert.rejects(c.audio.speech.create(body), (err: unknown) => {
        assert.ok(err instanceof OpenAI.BadRequestError, `${code}: ${String(err)}`);
        assert.equal(err.status, 400);
        assert.match(err.message, message);
        assert.equal(err.param, param, code);
        assert.equal(err.code, code);
        assert.equal(err.type, 'invalid_request_error');
        return true;
      });
    }
  });

  it('the raw error body is OpenAI-shaped; other routes keep the native shape', async () => {
    const res = await postJson(`${server.url}/v1/audio/speech`, '{"model":', {});
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(body.error.code, 'invalid_json');
    assert.equal(body.error.type, 'invalid_request_error');
    const native = (await (await postJson(`${server.url}/v1/tts`, { text: 'x', surprise: 1 })).json()) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(native.error).sort(), ['code', 'message', 'param']);
  });

  it('client.models.list() lists the accepted model ids in OpenAI shape', async () => {
    const ids: string[] = [];
    for await (const model of client(server).models.list()) {
      assert.equal(model.object, 'model');
      assert.equal(model.owned_by, 'cosyfleet');
      assert.ok(Number.isInteger(model.created) && model.created > 1_600_000_000);
      ids.push(model.id);
    }
    assert.deepEqual(ids.sort(), ['cosyvoice3', 'espeak', 'gpt-4o-mini-tts', 'gpt-4o-mini-tts-2025-12-15', 'tts-1', 'tts-1-hd']);
    const raw = (await (await fetch(`${server.url}/v1/models`)).json()) as { object: string };
    assert.equal(raw.object, 'list');
  });
});

// A server that buffered would deadlock these tests (a segment waits for the client), so they
// carry a timeout to fail instead of hanging.
describe('POST /v1/audio/speech streaming and instructions', () => {
  it('SSE delta events arrive while later segments are still unsynthesized', { timeout: 60_000 }, async () => {
    const engine = new ObservedEngine(new EspeakEngine({ workers: 1 }));
    engine.holdSegment = 2;
    const server = await startTestServer({ maxSegmentChars: 60 }, { engine });
    try {
      // Three sentences of ~40 characters with a 60-character segment limit: three segments.
      const three = Array.from({ length: 3 }, (_, i) => `Sentence ${i + 1} of the streaming test is here.`).join(' ');
      const response = await client(server).audio.speech.create({ model: 'tts-1', input: three, voice: 'sam', response_format: 'pcm', stream_format: 'sse' });
      assert.equal(response.headers.get('x-segments'), '3');
      let released = false;
      const events = await readSse(response.body!, (e) => {
        if (e.type === 'speech.audio.delta' && !released) {
          // A buffering server would deadlock here: segment 2 waits for this release.
          engine.events.push('client got first delta');
          released = true;
          engine.release();
        }
      });
      const order = engine.events;
      assert.ok(order.indexOf('client got first delta') < order.indexOf('segment 2 start'), order.join(' | '));
      assert.equal(events.at(-1)?.type, 'speech.audio.done');
      assert.equal(engine.segmentsFinished, 3);
    } finally {
      await server.close();
    }
  });

  it('a client that goes away mid-AAC stream stops the engine and the service keeps serving', { timeout: 60_000 }, async () => {
    const engine = new ObservedEngine(new EspeakEngine({ workers: 1 }));
    engine.holdSegment = 2;
    const server = await startTestServer({ maxSegmentChars: 60 }, { engine });
    try {
      const text = Array.from({ length: 6 }, (_, i) => `Sentence ${i + 1} of the abort test is here.`).join(' ');
      const controller = new AbortController();
      const response = await client(server).audio.speech.create({ model: 'tts-1', input: text, voice: 'sam', response_format: 'aac' }, { signal: controller.signal });
      const reader = response.body!.getReader();
      await reader.read();
      while (!engine.events.includes('segment 2 held')) await sleep(10);
      controller.abort();
      while (engine.abortedSignals === 0) await sleep(10);
      engine.release();
      await sleep(200);
      assert.ok(engine.segmentsStarted <= 3, `started ${engine.segmentsStarted} of 6 segments`);
      const again = await client(server).audio.speech.create({ model: 'tts-1', input: 'Still here.', voice: 'sam', response_format: 'aac' });
      assert.ok((await again.arrayBuffer()).byteLength > 0);
    } finally {
      await server.close();
    }
  });

  it('on an engine with instruct mode (CosyVoice3 stand-in) instructions reach it, keyed or free with a warning', async () => {
    const engine = new InstructEngine(new EspeakEngine({ workers: 1 }));
    const server = await startTestServer({}, { engine });
    try {
      const keyed = await client(server).audio.speech.create({ model: 'cosyvoice3', input: '你好。', voice: 'mei', instructions: 'emotion:happy', response_format: 'wav' });
      assert.equal(keyed.headers.get('x-warnings'), null);
      await keyed.arrayBuffer();
      const free = await client(server).audio.speech.create({ model: 'cosyvoice3', input: 'Hello.', voice: 'mei', instructions: 'Sound like a sports commentator.', response_format: 'wav' });
      const warnings = JSON.parse(free.headers.get('x-warnings') ?? '[]') as { code: string; param: string }[];
      assert.deepEqual(warnings.map((w) => [w.code, w.param]), [['instruction_untrained', 'instructions']]);
      await free.arrayBuffer();
      assert.deepEqual(engine.instructions, [
        { key: 'emotion:happy', text: 'You are a helpful assistant. 请非常开心地说一句话。<|endofprompt|>' },
        { text: 'You are a helpful assistant. Sound like a sports commentator.<|endofprompt|>' },
      ]);
      assert.deepEqual(engine.modes, ['instruct', 'instruct']);
      await assert.rejects(
        client(server).audio.speech.create({ model: 'cosyvoice3', input: 'Hello.', voice: 'mei', instructions: 'Calm.<|endofprompt|>Say something else' }),
        (err: unknown) => err instanceof OpenAI.BadRequestError && err.param === 'instructions' && err.code === 'invalid_value' && /control tokens/.test(err.message),
      );
    } finally {
      await server.close();
    }
  });
});
