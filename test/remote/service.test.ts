// End to end: a real cosyfleet (buildApp on loopback, COSYFLEET_ENGINE set to each remote engine)
// in front of the stand-in servers, judged by ffprobe/ffmpeg. The model behind the stand-ins is
// replaced at the process boundary (fakes/model.ts: espeak instead of Fun-CosyVoice3 on a GPU);
// everything on cosyfleet's side is the real service.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWithFfmpeg, ffprobeJson, tempDir } from '../../src/audio/test-helpers.js';
import { int16ToFloat32, rms } from '../../src/audio/pcm.js';
import { loadConfig } from '../../src/config/config.js';
import { COSYVOICE3_PROMPT_PREFIX } from '../../src/engines/remote/cosyvoice3.js';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { uploadVoice } from '../helpers/voices.js';
import { waitFor } from '../helpers/wait.js';
import { FakeFastApiServer } from './fakes/fastapi-server.js';
import { FakeTritonServer } from './fakes/triton-server.js';
import { FakeOpenAISpeechServer, SERVED_MODEL } from './fakes/openai-server.js';
import { StandInModel } from './fakes/model.js';
import { PROMPT_TEXT, recordingWav } from './helpers.js';

const model = new StandInModel();
let dir: { path: string; remove: () => Promise<void> };
before(async () => {
  await model.start();
  dir = await tempDir('cosyfleet-remote-e2e-');
});
after(async () => {
  await model.close();
  await dir.remove();
});

/** POST /v1/tts, write the answer to disk, and let ffmpeg judge it. */
async function speak(server: TestServer, body: Record<string, unknown>, name: string) {
  const res = await postJson(`${server.url}/v1/tts`, body);
  assert.equal(res.status, 200, await res.clone().text());
  const file = join(dir.path, name);
  await writeFile(file, Buffer.from(await res.arrayBuffer()));
  const probe = await ffprobeJson(file);
  const decoded = await decodeWithFfmpeg(file);
  const seconds = decoded.samples.length / decoded.sampleRate;
  return { res, probe, seconds, rms: rms(int16ToFloat32(decoded.samples)), warnings: JSON.parse(res.headers.get('x-warnings') ?? '[]') as { code: string }[] };
}

describe('cosyfleet with COSYFLEET_ENGINE=cosyvoice-fastapi', () => {
  let fake: FakeFastApiServer;
  let server: TestServer;
  before(async () => {
    fake = new FakeFastApiServer(model);
    await fake.start();
    server = await startTestServer({ engine: 'cosyvoice-fastapi', cosyvoiceUrl: fake.url, cosyvoiceSpeakers: ['中文女', '英文男'], remoteHealthIntervalMs: 50 });
  });
  after(async () => {
    await server.close();
    await fake.close();
  });

  it('serves POST /v1/tts from a speaker saved in the model, with the remote\'s limits as warnings', async () => {
    const out = await speak(server, { text: '你好，欢迎使用语音合成服务。今天天气很好。', voice: '中文女', language: 'cmn', speed: 1.25 }, 'fastapi-sft.wav');
    assert.equal(out.res.headers.get('x-engine'), 'cosyvoice-fastapi');
    assert.equal(out.res.headers.get('x-sample-rate'), '24000');
    assert.equal(out.probe.streams[0]?.codec_name, 'pcm_s16le');
    assert.equal(out.probe.streams[0]?.sample_rate, '24000');
    assert.ok(out.seconds > 1 && out.rms > 0.02, `${out.seconds} s, rms ${out.rms}`);
    assert.ok(out.warnings.some((w) => w.code === 'speed_ignored'));
  });

  it('clones a voice from the library: the prompt is uploaded to /inference_zero_shot', async () => {
    const created = await uploadVoice(server.url, { audio: { bytes: await recordingWav(model), filename: 'me.wav', type: 'audio/wav' }, fields: { transcript: PROMPT_TEXT } });
    assert.equal(created.status, 201, await created.clone().text());
    const voice = (await created.json()) as { id: string };
    const out = await speak(server, { text: 'Hello from a cloned voice, through the official server.', voice: voice.id, language: 'en', format: 'flac' }, 'fastapi-clone.flac');
    assert.equal(out.probe.streams[0]?.codec_name, 'flac');
    assert.ok(out.seconds > 1 && out.rms > 0.02);
    const got = fake.received.at(-1);
    assert.equal(got?.route, '/inference_zero_shot');
    assert.equal(got?.fields.prompt_text, `${COSYVOICE3_PROMPT_PREFIX}${PROMPT_TEXT}`);
    assert.equal(got?.prompt?.sampleRate, 16000);
  });

  it('/readyz follows the remote server: 503 with the reason while it is down, 200 when it is back', async () => {
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    const port = Number(new URL(fake.url).port);
    await fake.close();
    let body: { status: string; engine: string; detail?: string } = { status: '', engine: '' };
    await waitFor(async () => {
      const res = await fetch(`${server.url}/readyz`);
      body = (await res.json()) as typeof body;
      return res.status === 503;
    }, '/readyz to answer 503');
    assert.equal(body.engine, 'cosyvoice-fastapi');
    assert.match(body.detail ?? '', /CosyVoice FastAPI server http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    const res = await postJson(`${server.url}/v1/tts`, { text: 'Anyone there?', voice: '英文男', language: 'en' });
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'engine_unavailable');
    fake = new FakeFastApiServer(model);
    await fake.start(port);
    await waitFor(async () => (await fetch(`${server.url}/readyz`)).status === 200, '/readyz to answer 200 again');
  });
});

describe('cosyfleet with COSYFLEET_ENGINE=triton', () => {
  let fake: FakeTritonServer;
  let server: TestServer;
  let voices: string;
  before(async () => {
    fake = new FakeTritonServer(model);
    await fake.start();
    voices = await mkdtemp(join(tmpdir(), 'cosyfleet-voices-'));
    await writeFile(join(voices, 'narrator.wav'), await recordingWav(model));
    await writeFile(join(voices, 'narrator.txt'), PROMPT_TEXT);
    server = await startTestServer({ engine: 'triton', tritonUrl: `grpc://${fake.address}`, remoteVoicesDir: voices });
  });
  after(async () => {
    await server.close();
    fake.stop();
    await rm(voices, { recursive: true, force: true });
  });

  it('lists the reference voice and streams POST /v1/tts through ModelStreamInfer', async () => {
    const list = (await (await fetch(`${server.url}/v1/voices`)).json()) as { data: { id: string; kind: string }[] };
    assert.ok(list.data.some((v) => v.id === 'narrator' && v.kind === 'preset'), JSON.stringify(list));
    const out = await speak(server, { text: 'Streaming from Triton. Two sentences make two segments.', voice: 'narrator', language: 'en', stream: true, format: 'mp3' }, 'triton.mp3');
    assert.equal(out.res.headers.get('x-engine'), 'triton');
    assert.equal(out.res.headers.get('transfer-encoding'), 'chunked');
    assert.equal(out.probe.streams[0]?.codec_name, 'mp3');
    assert.ok(out.seconds > 1 && out.rms > 0.02);
    assert.equal(fake.received.at(-1)?.referenceText, `${COSYVOICE3_PROMPT_PREFIX}${PROMPT_TEXT}`);
  });
});

describe('cosyfleet with COSYFLEET_ENGINE=openai-speech', () => {
  const key = 'sk-e2e-abcdefghijklmnop';
  let fake: FakeOpenAISpeechServer;
  let server: TestServer;
  before(async () => {
    fake = new FakeOpenAISpeechServer(model, { apiKey: key, uploadedVoices: ['alice'] });
    await fake.start();
    server = await startTestServer({ engine: 'openai-speech', openaiSpeechUrl: fake.url, openaiSpeechApiKey: key, openaiSpeechVoices: ['alice'] });
  });
  after(async () => {
    await server.close();
    await fake.close();
  });

  it('serves POST /v1/tts and the OpenAI route through the remote, and never shows the API key', async () => {
    const out = await speak(server, { text: 'Hello through an OpenAI compatible server.', voice: 'alice', language: 'en' }, 'openai.wav');
    assert.equal(out.res.headers.get('x-engine'), 'openai-speech');
    assert.ok(out.seconds > 1 && out.rms > 0.02);
    assert.equal(fake.received.at(-1)?.body.model, SERVED_MODEL);

    const res = await postJson(`${server.url}/v1/audio/speech`, { model: 'tts-1', input: 'Hello again.', voice: 'alice', response_format: 'wav' });
    assert.equal(res.status, 200, await res.clone().text());
    assert.ok((await res.arrayBuffer()).byteLength > 44);

    const printed = JSON.stringify(server.config);
    assert.doesNotMatch(printed, new RegExp(key));
    assert.match(printed, /"openaiSpeechApiKey":"\[redacted\]"/);
  });
});

describe('remote engine settings are checked at boot', () => {
  it('names the missing or malformed address', () => {
    assert.throws(() => loadConfig({ env: { COSYFLEET_ENGINE: 'cosyvoice-fastapi' } }), /COSYVOICE_URL \(--cosyvoice-url\) is required with COSYFLEET_ENGINE=cosyvoice-fastapi/);
    assert.throws(() => loadConfig({ env: { COSYFLEET_ENGINE: 'triton', TRITON_URL: 'http://gpu:8001' } }), /TRITON_URL="http:\/\/gpu:8001": must be host:port, grpc:\/\/host:port, grpcs:\/\/host:port, dns:\/\/\/host:port, or a list ipv4:/);
    assert.throws(() => loadConfig({ env: { OPENAI_SPEECH_URL: 'ftp://x' } }), /OPENAI_SPEECH_URL="ftp:\/\/x": must be an http:\/\/ or https:\/\/ URL/);
    assert.throws(() => loadConfig({ env: { COSYVOICE_URL: 'http://user:pw@gpu:50000' } }), /must not contain a user name or password/);
    assert.equal(loadConfig({ env: { COSYFLEET_ENGINE: 'triton', TRITON_URL: 'gpu-box:8001' } }).tritonUrl, 'gpu-box:8001');
  });
});
