// Engines that cache what they derive from a prompt (CosyVoice3's add_zero_shot_spk) are told
// about a library voice when it is added and, lazily, before its first use by a fresh engine
// (a restarted server on the same DATA_DIR) or after its transcript changed. The engine here is
// the real espeak engine with the optional prepareVoice hook of engine interface v2 added to
// record the calls; synthesis itself is espeak's own.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VoicePrompt } from '../../src/engines/engine.js';
import { EspeakEngine } from '../../src/engines/espeak/engine.js';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { speech, uploadVoice } from '../helpers/voices.js';

class PreparingEngine extends EspeakEngine {
  readonly prepared: string[] = [];
  async prepareVoice(voice: VoicePrompt): Promise<void> {
    const audio = await voice.loadAudio();
    assert.equal(voice.sampleRate, 16000);
    assert.ok(audio.length > 3 * 16000, 'the prompt audio loads');
    this.prepared.push(`${voice.id}@${voice.version}:${voice.transcript}`);
  }
}

describe('voice preparation', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cosyfleet-prepare-'));
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = async (engine: PreparingEngine): Promise<TestServer> => startTestServer({ dataDir, espeakWorkers: 1 }, { engine });
  const say = async (server: TestServer, voice: string) => {
    const res = await postJson(`${server.url}/v1/tts`, { text: 'Hello again.', voice, format: 'pcm' });
    assert.equal(res.status, 200, await res.clone().text());
    await res.arrayBuffer();
  };

  it('prepares on upload, once per engine instance after a restart, and again after a transcript change', async () => {
    const first = new PreparingEngine({ workers: 1 });
    let server = await start(first);
    let id: string;
    try {
      const res = await uploadVoice(server.url, { audio: { bytes: await speech(server.url, { voice: 'mei' }) }, fields: { transcript: 'The words.' } });
      id = ((await res.json()) as { id: string }).id;
      assert.equal(res.status, 201);
      assert.deepEqual(first.prepared, [`${id}@1:The words.`], 'prepared when added');
      await say(server, id);
      await say(server, id);
      assert.equal(first.prepared.length, 1, 'not again on this engine');
    } finally {
      await server.close();
    }

    const second = new PreparingEngine({ workers: 1 });
    server = await start(second);
    try {
      assert.deepEqual(second.prepared, [], 'nothing is prepared at start-up');
      const list = (await (await fetch(`${server.url}/v1/voices`)).json()) as { data: { id: string }[] };
      assert.ok(list.data.some((v) => v.id === id), 'the library survived the restart');
      await Promise.all([say(server, id), say(server, id)]);
      assert.deepEqual(second.prepared, [`${id}@1:The words.`], 'prepared once, on first use');
      const patched = await fetch(`${server.url}/v1/voices/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ transcript: 'The right words.' }) });
      assert.equal(((await patched.json()) as { version: number }).version, 2);
      await say(server, id);
      await say(server, id);
      assert.deepEqual(second.prepared, [`${id}@1:The words.`, `${id}@2:The right words.`]);
    } finally {
      await server.close();
    }
  });
});
