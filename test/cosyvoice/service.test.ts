// End to end: cosyfleet with COSYFLEET_ENGINE=cosyvoice, the real Python worker in supervised
// processes, requests over HTTP, audio judged by ffprobe/ffmpeg. The model behind the worker is
// the stand-in (test/cosyvoice/standin: the official methods, a tone instead of speech); its
// journal shows which official calls the worker made, with what.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeWithFfmpeg, ffprobeJson, tempDir } from '../../src/audio/test-helpers.js';
import { int16ToFloat32, rms } from '../../src/audio/pcm.js';
import { wrapInstruction } from '../../src/text/instructions.js';
import { COSYVOICE3_PROMPT_PREFIX } from '../../src/engines/remote/cosyvoice3.js';
import type { WorkerInfo } from '../../src/workers/supervisor.js';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { uploadVoice } from '../helpers/voices.js';
import { StandInModel } from '../remote/fakes/model.js';
import { PROMPT_TEXT, recordingWav } from '../remote/helpers.js';
import { cosyvoiceSettings, standIn, type JournalEntry, type StandIn } from './helpers.js';

const ADMIN_KEY = 'cosyvoice-test-admin-key';
const speech = new StandInModel(); // espeak: the prompt recordings uploaded to the voice library
let model: StandIn;
let dir: { path: string; remove: () => Promise<void> };
let server: TestServer;
let voiceId: string;

before(async () => {
  await speech.start();
  model = await standIn();
  dir = await tempDir('cosyfleet-cosyvoice-e2e-');
  server = await startTestServer(
    cosyvoiceSettings(model, { workerProcesses: 2, workerGpus: ['3', '5'], workerFp16: true, cosyvoiceLoadTrt: true, workerConcurrency: 1, adminKey: ADMIN_KEY }),
  );
  await server.app.engine.start?.();
  const created = await uploadVoice(server.url, { audio: { bytes: await recordingWav(speech), filename: 'me.wav', type: 'audio/wav' }, fields: { transcript: PROMPT_TEXT } });
  assert.equal(created.status, 201, await created.clone().text());
  voiceId = ((await created.json()) as { id: string }).id;
});
after(async () => {
  await server?.close();
  await speech.close();
  await dir.remove();
  await model.remove();
});

async function speak(body: Record<string, unknown>, name: string) {
  const res = await postJson(`${server.url}/v1/tts`, { language: 'en', ...body });
  assert.equal(res.status, 200, await res.clone().text());
  const file = join(dir.path, name);
  await writeFile(file, Buffer.from(await res.arrayBuffer()));
  const probe = await ffprobeJson(file);
  const decoded = await decodeWithFfmpeg(file);
  return { res, probe, seconds: decoded.samples.length / decoded.sampleRate, rms: rms(int16ToFloat32(decoded.samples)) };
}

/** Journal entries written since `from` (an index) with this event name. */
async function calls(event: string, from = 0): Promise<JournalEntry[]> {
  return (await model.journal()).slice(from).filter((e) => e.event === event);
}

async function workers(): Promise<WorkerInfo[]> {
  const res = await fetch(`${server.url}/v1/admin/workers`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: WorkerInfo[] }).data;
}

describe('COSYFLEET_ENGINE=cosyvoice', () => {
  it('loads the model with AutoModel and the configured flags, one worker per GPU', async () => {
    const inits = await calls('init');
    assert.equal(inits.length, 2);
    assert.deepEqual(inits.map((e) => e.cuda_visible_devices).sort(), ['3', '5']);
    for (const e of inits) {
      assert.equal(e.model_dir, model.modelDir);
      assert.equal(e.fp16, true);
      assert.equal(e.load_trt, true);
      assert.equal(e.load_vllm, false);
      assert.equal(e.trt_concurrent, 1);
    }
    const info = await workers();
    assert.deepEqual(info.map((w) => w.device?.cudaVisibleDevices).sort(), ['3', '5']);
    assert.ok(info.every((w) => w.device?.fp16 === true));
  });

  it('preset: a speaker the workers reported from spk2info goes to inference_sft, after the v3 prompt; 24 kHz audio ffprobe accepts', async () => {
    const listed = await fetch(`${server.url}/v1/voices`).then((r) => r.json() as Promise<{ data: { id: string; kind: string }[] }>);
    assert.ok(listed.data.some((v) => v.id === '中文女' && v.kind === 'preset'), JSON.stringify(listed.data));
    const at = (await model.journal()).length;
    const out = await speak({ text: '你好，欢迎使用语音合成服务。', voice: '中文女', language: 'cmn' }, 'sft.wav');
    assert.equal(out.res.headers.get('x-engine'), 'cosyvoice');
    assert.equal(out.probe.streams[0]?.sample_rate, '24000');
    assert.ok(out.seconds > 0.3 && out.rms > 0.05, `${out.seconds} s, rms ${out.rms}`);
    const sft = await calls('inference_sft', at);
    assert.equal(sft.length, 1);
    assert.equal(sft[0]?.spk, '中文女');
    // CosyVoice3 reads text after its system prompt (HEAD's llm.py asserts <|endofprompt|>).
    assert.equal(sft[0]?.text, `${COSYVOICE3_PROMPT_PREFIX}你好，欢迎使用语音合成服务。`);
  });

  it('an unknown voice, or a mode that needs a cloned voice with a preset, is refused before any work', async () => {
    const at = (await model.journal()).length;
    let res = await postJson(`${server.url}/v1/tts`, { text: 'Hello.', voice: 'nobody', language: 'en' });
    assert.equal(res.status, 400, await res.clone().text());
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unknown_voice');
    res = await postJson(`${server.url}/v1/tts`, { text: 'Hello.', voice: '英文男', mode: 'clone', language: 'en' });
    assert.equal(res.status, 400, await res.clone().text());
    const body = (await res.json()) as { error: { code: string; param: string } };
    assert.deepEqual([body.error.code, body.error.param], ['invalid_value', 'voice']);
    assert.equal((await model.journal()).length, at, 'the model was not called');
  });

  it('a library voice is prepared once per worker (add_zero_shot_spk with the v3 prefix), then passed by id', async () => {
    const adds = (await calls('add_zero_shot_spk')).filter((e) => String(e.spk).includes(voiceId));
    assert.equal(new Set(adds.map((e) => e.pid)).size, 2, 'each worker prepared it');
    assert.equal(adds.length, 2);
    assert.equal(adds[0]?.prompt_text, `${COSYVOICE3_PROMPT_PREFIX}${PROMPT_TEXT}`);
    const features = (await calls('prompt_features')).filter((e) => e.prompt_text === `${COSYVOICE3_PROMPT_PREFIX}${PROMPT_TEXT}`);
    assert.ok(features.every((e) => (e.prompt_seconds as number) > 2), 'the prompt reached the package as a WAV of the recording');

    const at = (await model.journal()).length;
    const out = await speak({ text: 'Hello from a cloned voice.', voice: voiceId, mode: 'clone', format: 'flac' }, 'clone.flac');
    assert.equal(out.probe.streams[0]?.codec_name, 'flac');
    assert.ok(out.seconds > 0.5 && out.rms > 0.05);
    const zs = await calls('inference_zero_shot', at);
    assert.equal(zs.length, 1);
    assert.match(String(zs[0]?.spk), new RegExp(`^cosyfleet:${voiceId}@1#`), 'a per-request copy of the cached speaker');
    assert.equal(zs[0]?.prompt_wav, '', 'no prompt audio: the cached features are used');
    assert.equal(zs[0]?.prompt_text, `${COSYVOICE3_PROMPT_PREFIX}${PROMPT_TEXT}`);
    assert.equal((await calls('prompt_features', at)).length, 0, 'prompt features were not extracted again');
  });

  it('cross_lingual and instruct use the cached voice without corrupting it; instruct really uses the instruction', async () => {
    const at = (await model.journal()).length;
    await speak({ text: 'Bonjour à tous.', voice: voiceId, mode: 'cross_lingual', language: 'fr' }, 'cross.wav');
    await speak({ text: '今天天气很好。', voice: voiceId, instruct: 'dialect:sichuan', language: 'cmn' }, 'instruct.wav');
    await speak({ text: 'And cloning still works.', voice: voiceId, mode: 'clone' }, 'clone-after.wav');
    const cross = await calls('inference_cross_lingual', at);
    assert.equal(cross.length, 1);
    assert.equal(cross[0]?.text, `${COSYVOICE3_PROMPT_PREFIX}Bonjour à tous.`);
    assert.equal(cross[0]?.prompt_text, null, 'cross-lingual drops the prompt text from the LLM');
    const instruct = await calls('inference_instruct2', at);
    assert.equal(instruct.length, 1);
    assert.equal(instruct[0]?.prompt_text, wrapInstruction('请用四川话表达。'), 'the instruction, not the cached transcript');
    assert.equal(instruct[0]?.llm_prompt_speech, false);
    const again = (await calls('inference_zero_shot', at)).at(-1);
    assert.equal(again?.prompt_text, `${COSYVOICE3_PROMPT_PREFIX}${PROMPT_TEXT}`);
    assert.equal(again?.llm_prompt_speech, true, 'the cached entry still has its prompt speech tokens');
  });

  it('pronunciation tokens skip the package text normalizer; plain text gets it before the v3 prompt is added', async () => {
    const at = (await model.journal()).length;
    await speak({ text: 'Wait a [M][AY0][N][UW1][T] please.', voice: '英文男' }, 'tokens.wav');
    await speak({ text: 'I have 12 apples.', voice: '英文男' }, 'plain.wav');
    const sft = await calls('inference_sft', at);
    // The worker normalizes plain text with the package's own frontend (the stand-in's spells out
    // digits) and only then adds the prefix, which would make the package skip its normalizer.
    assert.deepEqual(
      sft.map((e) => [e.text, e.text_frontend]),
      [
        [`${COSYVOICE3_PROMPT_PREFIX}Wait a [M][AY0][N][UW1][T] please.`, false],
        [`${COSYVOICE3_PROMPT_PREFIX}I have one two apples.`, false],
      ],
    );
  });

  it('streams: the model runs with stream=True and chunks reach the client as they are made; speed switches streaming off', async () => {
    const at = (await model.journal()).length;
    const res = await postJson(`${server.url}/v1/tts`, { text: 'This sentence is long enough to arrive in several chunks from the model.', voice: '英文男', language: 'en', format: 'pcm', stream: true });
    assert.equal(res.status, 200);
    let pieces = 0;
    let bytes = 0;
    for await (const piece of res.body as AsyncIterable<Uint8Array>) {
      pieces++;
      bytes += piece.byteLength;
    }
    assert.ok(pieces >= 2, `${pieces} pieces`);
    assert.ok(bytes > 24000 * 2, `${bytes} bytes`);
    await speak({ text: 'Faster now.', voice: '英文男', speed: 1.5 }, 'fast.wav');
    const sft = await calls('inference_sft', at);
    assert.deepEqual(sft.map((e) => [e.stream, e.speed]), [
      [true, 1],
      [false, 1.5],
    ]);
  });

  it('a seed gives the same audio twice; another seed differs', async () => {
    const pcm = async (seed: number) => {
      const res = await postJson(`${server.url}/v1/tts`, { text: 'Seeded speech.', voice: '英文男', language: 'en', format: 'pcm', seed });
      assert.equal(res.status, 200);
      return Buffer.from(await res.arrayBuffer());
    };
    const [a, b, c] = [await pcm(7), await pcm(7), await pcm(8)];
    assert.ok(a.equals(b), 'same seed, same audio');
    assert.ok(!a.equals(c), 'another seed, other audio');
    assert.ok((await calls('set_all_random_seed')).some((e) => e.seed === 7));
  });

  it('reports GPU memory per worker: reserved in stats, allocated/reserved/peak after each segment', async () => {
    await speak({ text: 'Memory check.', voice: '英文男' }, 'mem.wav');
    const info = await workers();
    const served = info.filter((w) => w.memory.gpuLastJob !== null);
    assert.ok(served.length >= 1, JSON.stringify(info.map((w) => w.memory)));
    for (const w of served) {
      const g = w.memory.gpuLastJob as NonNullable<WorkerInfo['memory']['gpuLastJob']>;
      assert.ok(g.allocatedBytes >= 1_000_000 && g.reservedBytes >= g.allocatedBytes && g.peakBytes > g.allocatedBytes, JSON.stringify(g));
      assert.ok((w.memory.rssBytes ?? 0) > 1_000_000);
    }
    // Upstream's tts() empties the CUDA cache after every finished call; the worker adds none.
    assert.equal((await calls('empty_cache')).length, (await calls('tts_end')).length);
  });
});
