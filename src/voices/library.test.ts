import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { AppError } from '../errors/app-error.js';
import { createEncoder } from '../audio/encoders.js';
import { sine } from '../audio/test-helpers.js';
import type { Engine, VoicePrompt } from '../engines/engine.js';
import { EspeakEngine } from '../engines/espeak/engine.js';
import { FsBlobStore } from '../storage/fs-blob-store.js';
import { openDatabase, type SqliteDatabase } from '../storage/sqlite.js';
import { SqliteVoiceStore } from '../storage/sqlite-voice-store.js';
import { VOICE_ID } from './ids.js';
import { VoiceLibrary } from './library.js';

/**
 * The real espeak engine (never started: the library only reads its capabilities) plus the
 * optional prepareVoice hook of engine interface v2, recorded and failing on demand, as a
 * CosyVoice-style engine with a feature cache would have it.
 */
class PreparingEngine extends EspeakEngine {
  readonly prepared: string[] = [];
  failNext = 0;
  async prepareVoice(voice: VoicePrompt): Promise<void> {
    await new Promise((r) => setImmediate(r));
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('feature extraction failed');
    }
    const audio = await voice.loadAudio();
    this.prepared.push(`${voice.id}@${voice.version}:${audio.length}`);
  }
}

let dir: string;
let wav: Buffer;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cosyfleet-library-'));
  const encoder = await createEncoder('wav', { sampleRate: 16000, streaming: false });
  wav = Buffer.concat([...encoder.write(sine(180, 16000, 4, 0.3)), ...encoder.end()]);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function files(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

function setup(name: string, engine: Engine = new EspeakEngine({ workers: 1 })): { library: VoiceLibrary; db: SqliteDatabase; blobs: string } {
  const db = openDatabase(join(dir, name, 'cosyfleet.db'));
  const blobs = join(dir, name, 'blobs');
  const library = new VoiceLibrary({ store: new SqliteVoiceStore(db), blobs: new FsBlobStore(blobs), engine, logger: pino({ level: 'silent' }) });
  return { library, db, blobs };
}

const upload = (audio: Buffer) => ({ audio, name: 'Tone', transcript: 'A steady tone.', consent: true as const });

describe('VoiceLibrary', () => {
  it('stores a valid upload and removes it completely on delete', async () => {
    const { library, db, blobs } = setup('basic');
    const voice = await library.create(upload(wav));
    assert.match(voice.id, VOICE_ID);
    assert.equal(voice.language, 'en', 'detected from the transcript');
    assert.ok(voice.pitchHz !== null && Math.abs(voice.pitchHz - 180) < 3);
    assert.deepEqual((await files(blobs)).sort(), ['original', 'prompt']);
    const prompt = await library.prompt(voice.id);
    assert.equal(prompt?.pitchHz, voice.pitchHz);
    assert.equal((await prompt?.loadAudio())?.length, Math.round(voice.durationSeconds * 16000));
    await library.delete(voice.id);
    assert.deepEqual(await files(blobs), []);
    assert.equal(await library.prompt(voice.id), null);
    await assert.rejects(library.delete(voice.id), (e: unknown) => e instanceof AppError && e.code === 'voice_not_found');
    db.close();
  });

  it('writes nothing for a refused upload', async () => {
    const { library, db, blobs } = setup('refused');
    await assert.rejects(library.create(upload(Buffer.from('not audio'))), (e: unknown) => e instanceof AppError && e.code === 'audio_unreadable');
    await assert.rejects(library.create({ ...upload(wav), transcript: 'Bad [UW7] token' }), (e: unknown) => e instanceof AppError && e.code === 'invalid_token');
    assert.deepEqual(await files(blobs), []);
    assert.deepEqual(await library.list(), []);
    db.close();
  });

  it('removes the recordings it wrote when the database write fails', async () => {
    const { library, db, blobs } = setup('db-failure');
    db.close(); // every statement now fails, as with a full or broken disk
    await assert.rejects(library.create(upload(wav)), /not open/);
    assert.deepEqual(await files(blobs), []);
  });

  it('prepares a voice on creation, again after a transcript change, and once for concurrent first uses', async () => {
    const engine = new PreparingEngine({ workers: 1 });
    const { library, db } = setup('prepare', engine);
    const voice = await library.create(upload(wav));
    const samples = Math.round(voice.durationSeconds * 16000);
    assert.deepEqual(engine.prepared, [`${voice.id}@1:${samples}`]);
    await library.prompt(voice.id);
    assert.equal(engine.prepared.length, 1, 'already prepared on this engine');
    await library.update(voice.id, { name: 'Renamed' });
    await library.prompt(voice.id);
    assert.equal(engine.prepared.length, 1, 'a new name changes nothing the engine derived');
    await library.update(voice.id, { transcript: 'A steady tone!' });
    await Promise.all([library.prompt(voice.id), library.prompt(voice.id), library.prompt(voice.id)]);
    assert.deepEqual(engine.prepared, [`${voice.id}@1:${samples}`, `${voice.id}@2:${samples}`]);
    db.close();
  });

  it('keeps a voice whose preparation failed and prepares it on first use', async () => {
    const engine = new PreparingEngine({ workers: 1 });
    const { library, db } = setup('prepare-fails', engine);
    engine.failNext = 2;
    const voice = await library.create(upload(wav));
    assert.deepEqual(engine.prepared, []);
    await assert.rejects(library.prompt(voice.id), (e: unknown) => e instanceof AppError && e.code === 'engine_failed');
    const prompt = await library.prompt(voice.id);
    assert.equal(prompt?.id, voice.id);
    assert.equal(engine.prepared.length, 1);
    db.close();
  });

  it('finds nothing for ids that are not voice ids, without asking the stores', async () => {
    const { library, db } = setup('ids');
    db.close(); // a lookup would throw
    for (const id of ['../x', 'voice_../../etc', 'VOICE_AAAAAAAAAAAAAAAA', 'voice_aaaaaaaaaaaaaaaa/..', '']) {
      assert.equal(await library.prompt(id), null, id);
      await assert.rejects(library.get(id), (e: unknown) => e instanceof AppError && e.code === 'voice_not_found', id);
      await assert.rejects(library.delete(id), (e: unknown) => e instanceof AppError && e.code === 'voice_not_found', id);
    }
  });
});
