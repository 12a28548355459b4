// cosyfleet's patched CosyVoice FastAPI server (workers/cosyvoice/fastapi_server.py) as a real
// child process, with the stand-in `cosyvoice` package on its PYTHONPATH (standin/README.md: the
// official methods, upstream's LLM thread and its `<|endofprompt|>` assert as at HEAD, a tone
// instead of speech, a journal of every call), driven through cosyfleet's HTTP service with
// COSYFLEET_ENGINE=cosyvoice-fastapi. The model is the only stand-in; the journal shows what the
// package received: the prefix, a prompt path, whether the text normalizer ran.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeWithFfmpeg, tempDir } from '../../src/audio/test-helpers.js';
import { int16ToFloat32, rms } from '../../src/audio/pcm.js';
import { runEngineConformance } from '../../src/engines/conformance.js';
import { COSYVOICE3_PROMPT_PREFIX } from '../../src/engines/remote/cosyvoice3.js';
import { CosyVoiceFastApiEngine } from '../../src/engines/remote/cosyvoice-fastapi.js';
import { encodeWav } from '../../src/engines/remote/pcm.js';
import { multipartBody, type FormFile } from '../../src/engines/remote/multipart.js';
import { wrapInstruction } from '../../src/text/instructions.js';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { uploadVoice } from '../helpers/voices.js';
import { readBody, waitFor } from '../helpers/wait.js';
import { StandInModel } from '../remote/fakes/model.js';
import { PROMPT_TEXT, recordingWav, testSettings } from '../remote/helpers.js';
import { standIn, STANDIN_DIR, STANDIN_SPEAKERS, type JournalEntry, type StandIn } from './helpers.js';

const SERVER_SCRIPT = fileURLToPath(new URL('../../workers/cosyvoice/fastapi_server.py', import.meta.url));

interface PythonServer {
  readonly url: string;
  readonly stderr: () => string;
  stop(): Promise<void>;
}

/** Starts the patched server on a free port (it logs the port) and waits until /health is ready. */
async function startPatchedServer(model: StandIn, env: Record<string, string>): Promise<PythonServer> {
  const child: ChildProcess = spawn('python3', ['-B', SERVER_SCRIPT, '--port', '0', '--model_dir', model.modelDir], {
    env: { ...process.env, PYTHONPATH: STANDIN_DIR, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  let url = '';
  await waitFor(() => {
    if (exited) assert.fail(`the server exited:\n${stderr}`);
    url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1] ?? '';
    return url !== '';
  }, 'the server to listen');
  await waitFor(async () => (await fetch(`${url}/health`)).status === 200, 'the model to load');
  return {
    url,
    stderr: () => stderr,
    stop: async () => {
      if (exited) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

const speech = new StandInModel(); // espeak: prompt recordings for the voice library
let model: StandIn;
let python: PythonServer;
let dir: { path: string; remove: () => Promise<void> };

before(async () => {
  await speech.start();
  model = await standIn();
  dir = await tempDir('cosyfleet-fastapi-server-');
  // The stand-in's wetext loads its grammar files from the ModelScope cache (spelling out digits,
  // so the journal shows whether the normalizer ran); HEAD's LLM asserts `<|endofprompt|>`.
  const cache = join(dir.path, 'modelscope');
  await mkdir(join(cache, 'pengzhendong', 'wetext'), { recursive: true });
  python = await startPatchedServer(model, { MODELSCOPE_CACHE: cache, COSYVOICE_STANDIN_REF: 'ace7c47' });
});
after(async () => {
  await python?.stop();
  await speech.close();
  await dir?.remove();
  await model?.remove();
});

/** Journal entries written since `from` (an index) with this event name. */
async function calls(event: string, from = 0): Promise<JournalEntry[]> {
  return (await model.journal()).slice(from).filter((e) => e.event === event);
}

const PREFIX = COSYVOICE3_PROMPT_PREFIX;

describe('the patched FastAPI server behind cosyfleet (COSYFLEET_ENGINE=cosyvoice-fastapi)', () => {
  let server: TestServer;
  let voiceId: string;
  before(async () => {
    server = await startTestServer({ engine: 'cosyvoice-fastapi', cosyvoiceUrl: python.url, cosyvoiceSpeakers: STANDIN_SPEAKERS, remoteRetries: 1, remoteRetryBackoffMs: 10 });
    await server.app.engine.start?.();
    const created = await uploadVoice(server.url, { audio: { bytes: await recordingWav(speech), filename: 'me.wav', type: 'audio/wav' }, fields: { transcript: PROMPT_TEXT } });
    assert.equal(created.status, 201, await created.clone().text());
    voiceId = ((await created.json()) as { id: string }).id;
  });
  after(() => server?.close());

  async function speak(body: Record<string, unknown>, name: string) {
    const res = await postJson(`${server.url}/v1/tts`, { language: 'en', ...body });
    assert.equal(res.status, 200, await res.clone().text());
    const file = join(dir.path, name);
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    const decoded = await decodeWithFfmpeg(file);
    const warnings = (JSON.parse(res.headers.get('x-warnings') ?? '[]') as { code: string }[]).map((w) => w.code);
    return { seconds: decoded.samples.length / decoded.sampleRate, rms: rms(int16ToFloat32(decoded.samples)), warnings };
  }

  it('is identified as the patched server: every mode, ready without reservations', async () => {
    const engines = (await (await fetch(`${server.url}/v1/engines`)).json()) as { data: { modes: string[]; health: { ready: boolean; detail?: string } }[] };
    assert.deepEqual(engines.data[0]?.modes, ['preset', 'clone', 'cross_lingual', 'instruct']);
    assert.deepEqual(engines.data[0]?.health, { ready: true });
  });

  it('preset: /inference_sft gets the text normalized by the package, then prefixed, piece by piece', async () => {
    const at = (await model.journal()).length;
    const out = await speak({ text: 'I bought 2 apples at the market today.', voice: '英文男' }, 'sft.wav');
    assert.ok(out.seconds > 0.5 && out.rms > 0.05, `${out.seconds} s, rms ${out.rms}`);
    assert.deepEqual(out.warnings, []);
    const sft = await calls('inference_sft', at);
    assert.equal(sft.length, 1);
    assert.equal(sft[0]?.text_frontend, false, 'the server normalized; the package must not try again');
    const text = String(sft[0]?.text);
    assert.ok(text.startsWith(PREFIX), text);
    assert.match(text, /bought +two +apples/, 'the stand-in normalizer spelled out the digit');
  });

  it('clone: the prompt reaches the package as a WAV file path, with the prefixed transcript', async () => {
    const at = (await model.journal()).length;
    const out = await speak({ text: 'Hello from a cloned voice.', voice: voiceId }, 'clone.wav');
    assert.ok(out.seconds > 0.5 && out.rms > 0.05);
    const [features] = await calls('prompt_features', at);
    assert.equal(features?.wav_exists, true, 'a path to a file the package can open (issue #1805: upstream passes a tensor)');
    assert.equal(features?.prompt_text, `${PREFIX}${PROMPT_TEXT}`);
    assert.ok(Number(features?.prompt_seconds) > 2 && Number(features?.prompt_seconds) <= 30);
    const [zero] = await calls('inference_zero_shot', at);
    assert.equal(zero?.text, 'Hello from a cloned voice.');
    assert.equal(zero?.prompt_text, `${PREFIX}${PROMPT_TEXT}`);
  });

  it('cross_lingual: the text normalized, then prefixed; instruct: the trained instruction as the prompt', async () => {
    let at = (await model.journal()).length;
    await speak({ text: 'Il y a 3 chats.', voice: voiceId, mode: 'cross_lingual', language: 'fr' }, 'cross.wav');
    const [cross] = await calls('inference_cross_lingual', at);
    assert.equal(cross?.text_frontend, false);
    assert.match(String(cross?.text), new RegExp(`^${PREFIX.replace(/[.|]/g, '\\$&')}Il y a +three +chats\\.$`));
    assert.equal((await calls('prompt_features', at))[0]?.wav_exists, true);

    at = (await model.journal()).length;
    await speak({ text: '今天天气很好。', voice: voiceId, instruct: 'dialect:sichuan', language: 'cmn' }, 'instruct.wav');
    const [instruct] = await calls('inference_instruct2', at);
    assert.equal(instruct?.prompt_text, wrapInstruction('请用四川话表达。'));
    assert.equal(instruct?.text, '今天天气很好。');
  });

  it("a model failure in upstream's LLM thread before any audio is a JSON 500 from the server, then 502 engine_failed, not a hang or short audio", async () => {
    const at = (await model.journal()).length;
    const res = await postJson(`${server.url}/v1/tts`, { text: 'This llmassert sentence fails in the LLM thread.', voice: '英文男', language: 'en' });
    assert.equal(res.status, 502);
    const body = (await res.json()) as { error: { code: string; message: string; retryable: boolean } };
    assert.equal(body.error.code, 'engine_failed');
    assert.match(body.error.message, /answered HTTP 500: synthesis failed: AssertionError: stand-in assert inside the LLM thread/);
    assert.equal((await calls('inference_sft', at)).length, 2, 'REMOTE_RETRIES=1: a 5xx before any audio is tried again');
  });

  it('CUDA out of memory once: the server answers 500 JSON, cosyfleet retries, the second attempt speaks', async () => {
    const at = (await model.journal()).length;
    const out = await speak({ text: 'This oomonce sentence runs out of memory the first time.', voice: '英文男' }, 'oom.wav');
    assert.ok(out.rms > 0.05);
    assert.equal((await calls('inference_sft', at)).length, 2);
    assert.match(python.stderr(), /synthesis failed before any audio: OutOfMemoryError: CUDA out of memory/);
  });
});

describe('the patched FastAPI server on the wire', () => {
  async function post(route: string, fields: Record<string, string | FormFile>) {
    const form = multipartBody(fields);
    const res = await fetch(`${python.url}${route}`, { method: 'POST', headers: { 'content-type': form.contentType }, body: form.body });
    const type = res.headers.get('content-type');
    return { status: res.status, type, text: type === 'application/json' ? await res.text() : '', body: type === 'application/json' ? null : await readBody(res) };
  }
  const tone = (seconds: number) => encodeWav(Float32Array.from({ length: Math.round(16000 * seconds) }, (_, i) => 0.3 * Math.sin(i / 8)), 16000);

  it('identifies itself in /openapi.json, unlike upstream (FastAPI\'s default title)', async () => {
    const doc = (await (await fetch(`${python.url}/openapi.json`)).json()) as { info: { title: string }; 'x-cosyfleet': { version: number } };
    assert.notEqual(doc.info.title, 'FastAPI');
    assert.equal(doc['x-cosyfleet'].version, 1);
  });

  it('a bad prompt upload is a clear 400 JSON error, never a 200, and never reaches the package', async () => {
    const at = (await model.journal()).length;
    const notWav: FormFile = { filename: 'prompt.wav', contentType: 'audio/wav', data: Buffer.from('ID3 this is an mp3, honestly') };
    const tooLong: FormFile = { filename: 'prompt.wav', contentType: 'audio/wav', data: tone(31) };
    for (const [prompt, words] of [
      [notWav, /prompt_wav is not a WAV file/],
      [tooLong, /prompt_wav lasts 31\.0 s; CosyVoice3 takes prompts of at most 30 s/],
    ] as const) {
      const out = await post('/inference_zero_shot', { tts_text: 'Hello.', prompt_text: 'Hi.', prompt_wav: prompt });
      assert.equal(out.status, 400);
      assert.match((JSON.parse(out.text) as { detail: string }).detail, words);
    }
    const missing = await post('/inference_cross_lingual', { tts_text: 'Hello.' });
    assert.deepEqual({ status: missing.status, detail: (JSON.parse(missing.text) as { detail: string }).detail }, { status: 422, detail: 'missing form field: prompt_wav' });
    assert.deepEqual(await model.journal().then((j) => j.slice(at).map((e) => e.event)), []);
  });

  it('answers raw int16 PCM in a complete chunked stream; a model failure before the first chunk is a JSON error', async () => {
    const ok = await post('/inference_cross_lingual', { tts_text: 'Hello there.', prompt_wav: { filename: 'p.wav', contentType: 'audio/wav', data: tone(4) } });
    assert.equal(ok.status, 200);
    assert.ok(ok.body?.complete && ok.body.bytes > 0 && ok.body.bytes % 2 === 0);
    const failed = await post('/inference_sft', { tts_text: 'Say llmassert now.', spk_id: '英文男' });
    assert.deepEqual({ status: failed.status, type: failed.type }, { status: 500, type: 'application/json' });
    assert.match(failed.text, /"detail": "synthesis failed: AssertionError/);
    assert.doesNotMatch(failed.text, /Traceback|File "/, 'no stack trace for clients');
  });
});

runEngineConformance(
  'cosyvoice-fastapi with the patched server (real process, stand-in model)',
  async () => new CosyVoiceFastApiEngine({ url: python.url, sampleRate: 24000, speakers: STANDIN_SPEAKERS, remote: testSettings() }),
  {
    skip: {
      streaming: 'the server runs the model with stream=False, as upstream does: a segment arrives whole, so the engine declares streaming: false',
      speed: 'the server has no speed field, as upstream; the engine warns speed_ignored',
    },
  },
);
