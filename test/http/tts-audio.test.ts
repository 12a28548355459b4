// End to end: the real server on loopback, real espeak in worker threads, and Debian's
// ffprobe/ffmpeg (not our code) as the judge of every format.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { ffprobeJson, decodeWithFfmpeg } from '../../src/audio/test-helpers.js';
import { AUDIO_FORMATS, type AudioFormat } from '../../src/audio/types.js';
import { rms, int16ToFloat32 } from '../../src/audio/pcm.js';

const TEXTS: Record<string, string> = {
  en: 'Hello from cosyfleet. This sentence is spoken by the embedded engine.',
  cmn: '你好，欢迎使用语音合成服务。今天天气很好。',
  yue: '你好，我哋今日一齊去飲茶啦。',
};
const CODEC: Record<AudioFormat, string> = { wav: 'pcm_s16le', pcm: 'pcm_s16le', mp3: 'mp3', opus: 'opus', flac: 'flac' };

describe('POST /v1/tts audio, judged by ffprobe', () => {
  let server: TestServer;
  let dir: string;
  /** espeak's own duration for each text, measured by calling the engine directly. */
  const engineSeconds: Record<string, number> = {};

  before(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'cosyfleet-e2e-'));
    const engine = server.app.engine;
    const voice = (await engine.listVoices())[0]!.id;
    for (const [language, text] of Object.entries(TEXTS)) {
      let n = 0;
      for await (const c of engine.synthesize({ text, language, voice, mode: 'preset', speed: 1 })) n += c.samples.length;
      engineSeconds[language] = n / engine.capabilities.sampleRate;
    }
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const language of Object.keys(TEXTS)) {
    for (const format of AUDIO_FORMATS) {
      for (const stream of [false, true]) {
        it(`${language} ${format}${stream ? ' streamed' : ''}`, async () => {
          const res = await postJson(`${server.url}/v1/tts`, { text: TEXTS[language], language, format, stream });
          assert.equal(res.status, 200, await res.clone().text());
          assert.equal(res.headers.get('x-engine'), 'espeak');
          assert.equal(res.headers.get('x-audio-language'), language);
          assert.ok(res.headers.get('x-request-id'));
          const rate = Number(res.headers.get('x-sample-rate'));
          assert.equal(rate, format === 'opus' ? 48000 : 22050);
          if (stream) {
            assert.equal(res.headers.get('transfer-encoding'), 'chunked');
            assert.equal(res.headers.get('content-length'), null);
          } else {
            assert.ok(Number(res.headers.get('content-length')) > 0);
          }
          const bytes = Buffer.from(await res.arrayBuffer());
          const file = join(dir, `${language}-${stream ? 's' : 'n'}.${format}`);
          writeFileSync(file, bytes);

          const probe = await ffprobeJson(file, format === 'pcm' ? { rawRate: 22050 } : undefined);
          const audio = probe.streams.find((s) => s.codec_type === 'audio');
          assert.ok(audio, 'ffprobe finds an audio stream');
          assert.equal(audio.codec_name, CODEC[format]);
          assert.equal(Number(audio.sample_rate), rate);
          assert.equal(Number(audio.channels), 1);

          const decoded = await decodeWithFfmpeg(file, format === 'pcm' ? { rawRate: 22050 } : undefined);
          const seconds = decoded.samples.length / decoded.sampleRate;
          const expected = engineSeconds[language]!;
          assert.ok(Math.abs(seconds - expected) / expected < 0.25, `decoded ${seconds.toFixed(2)} s vs espeak ${expected.toFixed(2)} s`);
          const level = rms(int16ToFloat32(decoded.samples));
          assert.ok(level > 0.02, `rms ${level.toFixed(4)} shows speech, not silence`);
        });
      }
    }
  }

  it('resamples to sample_rate', async () => {
    const res = await postJson(`${server.url}/v1/tts`, { text: TEXTS.en, format: 'wav', sample_rate: 16000 });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-sample-rate'), '16000');
    const file = join(dir, 'r16.wav');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    const decoded = await decodeWithFfmpeg(file);
    assert.equal(decoded.sampleRate, 16000);
    const seconds = decoded.samples.length / 16000;
    assert.ok(Math.abs(seconds - engineSeconds.en!) / engineSeconds.en! < 0.25);
  });

  it('speaks CMU phoneme annotations', async () => {
    const plain = await postJson(`${server.url}/v1/tts`, { text: 'Wait a minute.', language: 'en', format: 'pcm' });
    const annotated = await postJson(`${server.url}/v1/tts`, { text: 'Wait a [M][AY0][N][UW1][T].', language: 'en', format: 'pcm' });
    assert.equal(annotated.status, 200, await annotated.clone().text());
    const a = (await plain.arrayBuffer()).byteLength;
    const b = (await annotated.arrayBuffer()).byteLength;
    assert.ok(b > 0.5 * a && b < 2 * a, `annotated ${b} bytes vs plain ${a}`);
    assert.equal(annotated.headers.get('x-warnings'), null);
  });

  it('detects the language when none is given', async () => {
    for (const [language, text] of Object.entries(TEXTS)) {
      const res = await postJson(`${server.url}/v1/tts`, { text, format: 'pcm' });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-audio-language'), language);
      await res.arrayBuffer();
    }
  });

  it('segments long text and reports warnings in a header', async () => {
    const text = Array.from({ length: 30 }, (_, i) => `This is sentence number ${i + 1} of a long text.`).join(' ');
    const res = await postJson(`${server.url}/v1/tts`, { text, format: 'pcm', seed: 7 });
    assert.equal(res.status, 200);
    assert.ok(Number(res.headers.get('x-segments')) > 1);
    const warnings = JSON.parse(res.headers.get('x-warnings') ?? '[]') as { code: string }[];
    assert.ok(warnings.some((w) => w.code === 'seed_ignored'));
    const seconds = (await res.arrayBuffer()).byteLength / 2 / 22050;
    assert.ok(seconds > 30, `30 sentences give ${seconds.toFixed(1)} s`);
  });
});
