// The voice library on a real server: recordings in every accepted format (speech made by the
// server's own engine and encoders, or by ffmpeg) are stored, listed, fetched, spoken with
// (espeak approximates a cloned voice by a preset, with a warning), edited and deleted, with
// the database file and DATA_DIR/blobs checked directly and the audio judged by ffprobe.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { decodeWithFfmpeg, ffmpegGenerate, ffprobeJson, tempDir, writeTemp } from '../../src/audio/test-helpers.js';
import { int16ToFloat32, rms } from '../../src/audio/pcm.js';
import { startTestServer, postJson, type TestServer } from '../helpers/server.js';
import { blobFiles, expectError, speech, storedGender, TRANSCRIPT, uploadVoice, voiceRows } from '../helpers/voices.js';

interface VoiceJson {
  id: string;
  name: string;
  kind: string;
  engine: string;
  languages: string[];
  language: string;
  gender: string | null;
  transcript: string;
  version: number;
  pitchHz: number | null;
  durationSeconds: number;
  sampleRate: number;
  original: { format: string; contentType: string; bytes: number; sampleRate: number; channels: number; durationSeconds: number };
  createdAt: string;
  updatedAt: string;
}

const FORMATS = [
  { format: 'wav', sample_rate: 22050, contentType: 'audio/wav', filename: 'fox.wav', codec: 'pcm_s16le' },
  { format: 'mp3', sample_rate: 24000, contentType: 'audio/mpeg', filename: 'fox.mp3', codec: 'mp3' },
  { format: 'flac', sample_rate: 44100, contentType: 'audio/flac', filename: 'fox.flac', codec: 'flac' },
  { format: 'opus', sample_rate: 22050, contentType: 'audio/ogg; codecs=opus', filename: 'fox.opus', codec: 'opus' },
] as const;

describe('voice library', () => {
  let server: TestServer;
  let dir: { path: string; remove: () => Promise<void> };
  before(async () => {
    server = await startTestServer();
    dir = await tempDir('cosyfleet-voices-e2e-');
  });
  after(async () => {
    await server.close();
    await dir.remove();
  });

  const getJson = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${server.url}${path}`);
    return { status: res.status, body: (await res.json()) as T };
  };

  /** Fetches a voice's audio, checks its type and writes it to a temp file for ffprobe. */
  const fetchAudio = async (id: string, variant: string, contentType: string, name: string): Promise<{ path: string; bytes: Buffer }> => {
    const res = await fetch(`${server.url}/v1/voices/${id}/audio${variant ? `?variant=${variant}` : ''}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), contentType);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(Number(res.headers.get('content-length')), bytes.length);
    return { path: await writeTemp(dir.path, name, bytes), bytes };
  };

  for (const f of FORMATS) {
    it(`takes a ${f.format} recording: listed, fetched as 16 kHz mono WAV and as sent, spoken with, edited, deleted`, async () => {
      const upload = await speech(server.url, { voice: 'mei', format: f.format, sample_rate: f.sample_rate });
      const created = await uploadVoice(server.url, { audio: { bytes: upload, filename: f.filename, type: f.contentType }, fields: { name: `Fox ${f.format}` } });
      const voice = (await created.json()) as VoiceJson;
      assert.equal(created.status, 201, JSON.stringify(voice));
      assert.equal(created.headers.get('location'), `/v1/voices/${voice.id}`);
      assert.match(voice.id, /^voice_[a-z2-7]{16}$/);
      assert.equal(voice.kind, 'cloned');
      assert.equal(voice.engine, 'espeak');
      assert.equal(voice.name, `Fox ${f.format}`);
      assert.equal(voice.transcript, TRANSCRIPT);
      assert.equal(voice.language, 'en');
      assert.equal(voice.gender, null, 'none declared');
      assert.equal(voice.version, 1);
      assert.equal(voice.sampleRate, 16000);
      assert.ok(voice.durationSeconds >= 3 && voice.durationSeconds <= 30, `${voice.durationSeconds} s`);
      assert.ok(voice.pitchHz !== null && voice.pitchHz > 165, `espeak's female preset measures ${voice.pitchHz} Hz`);
      assert.equal(voice.original.format, f.format);
      assert.equal(voice.original.contentType, f.contentType);
      assert.equal(voice.original.bytes, upload.length);
      assert.equal(voice.original.sampleRate, f.sample_rate, 'for Opus (48 kHz on the wire) the rate OpusHead records');
      assert.equal(voice.original.channels, 1);
      assert.deepEqual(voiceRows(server.config.dataDir).map((r) => r.id).filter((id) => id === voice.id), [voice.id]);
      assert.deepEqual((await blobFiles(server.config.dataDir)).filter((p) => p.includes(voice.id)), [`voices/${voice.id}/original`, `voices/${voice.id}/prompt`]);

      const list = await getJson<{ data: { id: string; kind: string }[] }>('/v1/voices');
      assert.ok(list.body.data.some((v) => v.id === 'mei' && v.kind === 'preset'), 'presets are listed');
      assert.ok(list.body.data.some((v) => v.id === voice.id && v.kind === 'cloned'), 'and the library voice');
      const one = await getJson<VoiceJson>(`/v1/voices/${voice.id}`);
      assert.equal(one.status, 200);
      assert.deepEqual(one.body, voice);

      const normalized = await fetchAudio(voice.id, '', 'audio/wav', `${voice.id}.wav`);
      const probe = await ffprobeJson(normalized.path);
      assert.equal(probe.streams.length, 1);
      assert.equal(probe.streams[0]?.codec_name, 'pcm_s16le');
      assert.equal(probe.streams[0]?.sample_rate, '16000');
      assert.equal(probe.streams[0]?.channels, 1);
      assert.ok(Math.abs(Number(probe.streams[0]?.duration) - voice.durationSeconds) < 0.01, `ffprobe ${probe.streams[0]?.duration} s`);
      const decoded = await decodeWithFfmpeg(normalized.path);
      assert.ok(rms(int16ToFloat32(decoded.samples)) > 0.02, 'the prompt holds the speech');
      const original = await fetchAudio(voice.id, 'original', f.contentType, `${voice.id}.${f.format}`);
      assert.deepEqual(original.bytes, upload, 'the original is kept byte for byte');
      assert.equal((await ffprobeJson(original.path)).streams[0]?.codec_name, f.codec);

      const tts = await postJson(`${server.url}/v1/tts`, { text: 'Hello from a cloned voice.', voice: voice.id });
      assert.equal(tts.status, 200, await tts.clone().text());
      const warnings = JSON.parse(tts.headers.get('x-warnings') ?? '[]') as { code: string; message: string; param: string }[];
      const approximated = warnings.find((w) => w.code === 'voice_approximated');
      assert.ok(approximated, JSON.stringify(warnings));
      assert.equal(approximated.param, 'voice');
      assert.match(approximated.message, new RegExp(`cloned voice ${voice.id} .*with preset mei; the CosyVoice3 engine clones it`));
      const spoken = await writeTemp(dir.path, `${voice.id}-tts.wav`, Buffer.from(await tts.arrayBuffer()));
      assert.ok(rms(int16ToFloat32((await decodeWithFfmpeg(spoken)).samples)) > 0.02);

      const renamed = await fetch(`${server.url}/v1/voices/${voice.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Renamed' }) });
      const afterRename = (await renamed.json()) as VoiceJson;
      assert.equal(renamed.status, 200);
      assert.equal(afterRename.name, 'Renamed');
      assert.equal(afterRename.version, 1, 'a name is not part of the prompt');
      const corrected = await fetch(`${server.url}/v1/voices/${voice.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ transcript: 'The quick brown fox.', language: 'en' }) });
      const afterCorrection = (await corrected.json()) as VoiceJson;
      assert.equal(afterCorrection.transcript, 'The quick brown fox.');
      assert.equal(afterCorrection.version, 2, 'a new transcript is a new prompt version');
      assert.deepEqual((await getJson<VoiceJson>(`/v1/voices/${voice.id}`)).body, afterCorrection);

      const deleted = await fetch(`${server.url}/v1/voices/${voice.id}`, { method: 'DELETE' });
      assert.equal(deleted.status, 204);
      assert.equal(await deleted.text(), '');
      await expectError(await fetch(`${server.url}/v1/voices/${voice.id}`), 404, 'voice_not_found');
      await expectError(await fetch(`${server.url}/v1/voices/${voice.id}/audio`), 404, 'voice_not_found');
      await expectError(await fetch(`${server.url}/v1/voices/${voice.id}`, { method: 'DELETE' }), 404, 'voice_not_found');
      await expectError(await postJson(`${server.url}/v1/tts`, { text: 'Hello.', voice: voice.id }), 400, 'unknown_voice', 'voice');
      assert.ok(!(await getJson<{ data: { id: string }[] }>('/v1/voices')).body.data.some((v) => v.id === voice.id));
      assert.deepEqual((await blobFiles(server.config.dataDir)).filter((p) => p.includes(voice.id)), []);
      assert.ok(!voiceRows(server.config.dataDir).some((r) => r.id === voice.id));
    });
  }

  it('approximates a low voice with a male preset', async () => {
    const upload = await speech(server.url, { voice: 'hao' });
    const created = await uploadVoice(server.url, { audio: { bytes: upload } });
    const voice = (await created.json()) as VoiceJson;
    assert.equal(created.status, 201);
    assert.ok(voice.pitchHz !== null && voice.pitchHz < 165, `espeak's deep male preset measures ${voice.pitchHz} Hz`);
    const tts = await postJson(`${server.url}/v1/tts`, { text: 'Hello.', voice: voice.id, format: 'pcm' });
    assert.equal(tts.status, 200);
    await tts.arrayBuffer();
    assert.match(tts.headers.get('x-warnings') ?? '', /with preset sam;/);
    assert.equal((await fetch(`${server.url}/v1/voices/${voice.id}`, { method: 'DELETE' })).status, 204);
  });

  it('stores a declared gender, shows it, changes and clears it; espeak picks its preset by it before the pitch', async () => {
    const presetOf = async (id: string) => {
      const tts = await postJson(`${server.url}/v1/tts`, { text: 'Hello.', voice: id, format: 'pcm' });
      assert.equal(tts.status, 200);
      await tts.arrayBuffer();
      return /with preset (\w+);/.exec(tts.headers.get('x-warnings') ?? '')?.[1];
    };
    const low = await speech(server.url, { voice: 'hao' });
    const res = await uploadVoice(server.url, { audio: { bytes: low }, fields: { gender: 'female' } });
    const voice = (await res.json()) as VoiceJson;
    assert.equal(res.status, 201, JSON.stringify(voice));
    assert.ok(voice.pitchHz !== null && voice.pitchHz < 165, `${voice.pitchHz} Hz: a low voice`);
    assert.equal(voice.gender, 'female');
    assert.equal((await getJson<{ data: VoiceJson[] }>('/v1/voices')).body.data.find((v) => v.id === voice.id)?.gender, 'female', 'listed with it');
    assert.equal(await presetOf(voice.id), 'mei', 'the declared gender wins over a low pitch');
    const patch = (body: unknown) => fetch(`${server.url}/v1/voices/${voice.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const neutral = (await (await patch({ gender: 'neutral' })).json()) as VoiceJson;
    assert.deepEqual([neutral.gender, neutral.version], ['neutral', 1], 'not part of the prompt: same version');
    assert.equal(await presetOf(voice.id), 'sam', '"neutral" leaves the choice to the pitch');
    assert.equal(((await (await patch({ gender: 'male' })).json()) as VoiceJson).gender, 'male');
    const cleared = (await (await patch({ gender: null })).json()) as VoiceJson;
    assert.equal(cleared.gender, null);
    assert.equal(storedGender(server.config.dataDir, voice.id), null, 'cleared in the database too');
    assert.equal((await fetch(`${server.url}/v1/voices/${voice.id}`, { method: 'DELETE' })).status, 204);

    const empty = await uploadVoice(server.url, { audio: { bytes: low }, fields: { gender: '' } });
    const unstated = (await empty.json()) as VoiceJson;
    assert.equal(empty.status, 201, JSON.stringify(unstated));
    assert.equal(unstated.gender, null, 'an empty form field states none');
    assert.equal((await fetch(`${server.url}/v1/voices/${unstated.id}`, { method: 'DELETE' })).status, 204);
    const rowsBefore = voiceRows(server.config.dataDir).length;
    await expectError(await uploadVoice(server.url, { audio: { bytes: low }, fields: { gender: 'robot' } }), 400, 'invalid_value', 'gender');
    await expectError(await uploadVoice(server.url, { audio: { bytes: low }, fields: { gender: 'Female' } }), 400, 'invalid_value', 'gender');
    assert.equal(voiceRows(server.config.dataDir).length, rowsBefore, 'a refused upload stores nothing');
  });

  it('mixes a multichannel recording to mono', async () => {
    const mono = await writeTemp(dir.path, 'mono.wav', await speech(server.url, { voice: 'mei', sample_rate: 44100 }));
    const stereo = join(dir.path, 'stereo.wav');
    // Speech on the left only: a correct mix has half the level; taking either channel alone would not.
    await ffmpegGenerate(['-i', mono, '-af', 'pan=stereo|c0=c0|c1=0*c0'], stereo);
    assert.equal((await ffprobeJson(stereo)).streams[0]?.channels, 2);
    const levels: number[] = [];
    for (const path of [mono, stereo]) {
      const res = await uploadVoice(server.url, { audio: { bytes: await readFile(path), type: 'audio/wav' } });
      const voice = (await res.json()) as VoiceJson;
      assert.equal(res.status, 201, JSON.stringify(voice));
      assert.equal(voice.original.channels, path === mono ? 1 : 2);
      const audio = await fetchAudio(voice.id, 'normalized', 'audio/wav', `${voice.id}.wav`);
      assert.equal((await ffprobeJson(audio.path)).streams[0]?.channels, 1);
      levels.push(rms(int16ToFloat32((await decodeWithFfmpeg(audio.path)).samples)));
      assert.equal((await fetch(`${server.url}/v1/voices/${voice.id}`, { method: 'DELETE' })).status, 204);
    }
    const ratio = (levels[1] as number) / (levels[0] as number);
    assert.ok(Math.abs(ratio - 0.5) < 0.03, `stereo/mono level ratio ${ratio.toFixed(3)}`);
  });

  it('detects the language from the transcript when none is given, and accepts annotation tokens in it', async () => {
    const upload = await speech(server.url, { voice: 'mei', text: '今天天气很好，我们一起去公园散步吧。然后我们去吃饭。', language: 'cmn' });
    const res = await uploadVoice(server.url, { audio: { bytes: upload }, fields: { language: undefined, transcript: '今天天气很好，我们一起去公园散步吧。然后我们去[ch][ī]饭。' } });
    const voice = (await res.json()) as VoiceJson;
    assert.equal(res.status, 201, JSON.stringify(voice));
    assert.equal(voice.language, 'cmn');
    assert.equal((await fetch(`${server.url}/v1/voices/${voice.id}`, { method: 'DELETE' })).status, 204);
  });

  it('answers GET /v1/voices/:id for a preset too, but only library voices have audio or can change', async () => {
    const preset = await getJson<{ id: string; kind: string }>('/v1/voices/mei');
    assert.equal(preset.status, 200);
    assert.deepEqual([preset.body.id, preset.body.kind], ['mei', 'preset']);
    await expectError(await fetch(`${server.url}/v1/voices/mei/audio`), 404, 'voice_not_found');
    await expectError(await fetch(`${server.url}/v1/voices/mei`, { method: 'DELETE' }), 404, 'voice_not_found');
  });

  it('validates PATCH like every JSON body', async () => {
    const res = await uploadVoice(server.url, { audio: { bytes: await speech(server.url, { voice: 'ava' }) } });
    const voice = (await res.json()) as VoiceJson;
    const patch = (body: unknown, id = voice.id) =>
      fetch(`${server.url}/v1/voices/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await expectError(await patch({ pitchHz: 100 }), 400, 'unknown_field', 'pitchHz');
    await expectError(await patch({ gender: 'robot' }), 400, 'invalid_value', 'gender');
    await expectError(await patch({ gender: '' }), 400, 'invalid_value', 'gender');
    await expectError(await patch({ gender: 1 }), 400, 'invalid_type', 'gender');
    await expectError(await patch({}), 400, 'invalid_value');
    await expectError(await patch({ transcript: 'Bad [UW7] token.' }), 400, 'invalid_token', 'transcript');
    await expectError(await patch({ transcript: '   ' }), 400, 'invalid_value', 'transcript');
    await expectError(await patch({ name: 'x'.repeat(101) }), 400, 'invalid_value', 'name');
    await expectError(await patch({ language: 'tlh' }), 400, 'invalid_value', 'language');
    await expectError(await patch({ name: 'x' }, 'voice_aaaaaaaaaaaaaaaa'), 404, 'voice_not_found', 'id');
    assert.equal(((await (await fetch(`${server.url}/v1/voices/${voice.id}`)).json()) as VoiceJson).version, 1, 'nothing changed');
    assert.equal((await fetch(`${server.url}/v1/voices/${voice.id}`, { method: 'DELETE' })).status, 204);
  });

  it('documents the routes and the multipart body in OpenAPI', async () => {
    type Op = { requestBody?: { content: Record<string, { schema: { properties: Record<string, { type?: string; format?: string }>; required: string[]; additionalProperties: boolean } }> } };
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, Op>> };
    assert.deepEqual(Object.keys(doc.paths['/v1/voices'] ?? {}).sort(), ['get', 'post']);
    assert.deepEqual(Object.keys(doc.paths['/v1/voices/{id}'] ?? {}).sort(), ['delete', 'get', 'patch']);
    assert.deepEqual(Object.keys(doc.paths['/v1/voices/{id}/audio'] ?? {}), ['get']);
    const form = doc.paths['/v1/voices']?.post?.requestBody?.content['multipart/form-data']?.schema;
    assert.deepEqual(Object.keys(form?.properties ?? {}).sort(), ['audio', 'consent', 'gender', 'language', 'name', 'transcript']);
    assert.deepEqual(form?.properties.audio, { ...form?.properties.audio, type: 'string', format: 'binary' });
    assert.deepEqual(form?.required, ['audio', 'transcript', 'name']);
    assert.equal(form?.additionalProperties, false);
  });
});
