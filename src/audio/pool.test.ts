// The audio pool against the inline path: the same bytes out, errors of the same class and
// code, work done on another thread, sessions spread over threads and freed when closed.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { threadId as mainThreadId } from 'node:worker_threads';
import { AppError } from '../errors/app-error.js';
import { AudioDecodeError } from './decoders.js';
import { createEncoder } from './encoders.js';
import { createAudioWork, type AudioWork } from './pool.js';
import { irregularChunks, sine } from './test-helpers.js';
import type { CodecSpec } from './codec-session.js';
import type { AudioFormat } from './types.js';

const pools: AudioWork[] = [];
function pool(threads: number): AudioWork {
  const p = createAudioWork({ threads });
  pools.push(p);
  return p;
}
after(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

/** close() is fire-and-forget; its task is answered soon after. */
async function waitIdle(p: AudioWork): Promise<void> {
  for (let i = 0; i < 1000 && p.stats().pendingTasks > 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(p.stats().pendingTasks, 0, 'no thread is busy');
}

async function encodeAll(work: AudioWork, spec: CodecSpec, input: Float32Array): Promise<Buffer> {
  const enc = await work.openEncoder(spec);
  const parts: Buffer[] = [];
  let at = 0;
  for (const size of irregularChunks(input.length, 7, 6000)) {
    parts.push(...(await enc.write(input.subarray(at, at + size))));
    at += size;
  }
  parts.push(...(await enc.end()));
  await enc.close();
  return Buffer.concat(parts);
}

async function wav(samples: Float32Array, rate: number): Promise<Buffer> {
  const e = await createEncoder('wav', { sampleRate: rate, streaming: false });
  return Buffer.concat([...e.write(samples), ...e.end()]);
}

describe('audio pool', () => {
  const input = sine(220, 22050, 2.5, 0.4);
  const cases: [AudioFormat, number][] = [
    ['mp3', 24000],
    ['opus', 22050],
    ['flac', 16000],
    ['wav', 44100],
  ];
  for (const [format, pcmRate] of cases) {
    it(`encodes ${format} at ${pcmRate} Hz in a thread to the same bytes as inline`, async () => {
      const spec: CodecSpec = { format, inputRate: 22050, pcmRate, streaming: true };
      const threaded = pool(1);
      const viaThread = await encodeAll(threaded, spec, input);
      const inline = await encodeAll(pool(0), spec, input);
      assert.ok(viaThread.length > 1000, `${format}: ${viaThread.length} bytes`);
      if (format === 'opus') {
        // Each Ogg stream has a random serial number (RFC 7845), so compare what it decodes to.
        const [x, y] = [await pool(0).decode(viaThread), await pool(0).decode(inline)];
        assert.deepEqual(x.channels, y.channels, 'opus: thread and inline audio differ');
      } else assert.ok(viaThread.equals(inline), `${format}: thread and inline outputs differ`);
      const stats = threaded.stats();
      assert.equal(stats.tasks['end:thread'], 1);
      assert.notEqual(stats.lastThreadId, mainThreadId);
      assert.equal(stats.openSessions, 0);
    });
  }

  it('keeps quantize-only WAV on the event loop (no thread started)', async () => {
    const p = pool(2);
    const out = await encodeAll(p, { format: 'wav', inputRate: 24000, pcmRate: 24000, streaming: false }, sine(300, 24000, 0.5));
    assert.equal(out.length, 44 + 24000 * 2 * 0.5);
    assert.equal(p.stats().threads, 0);
  });

  it('leaves the caller its samples (they are copied, not transferred)', async () => {
    const p = pool(1);
    const samples = sine(440, 24000, 0.2);
    const enc = await p.openEncoder({ format: 'mp3', inputRate: 24000, pcmRate: 24000, streaming: true });
    await enc.write(samples);
    assert.equal(samples.length, 4800);
    assert.ok(Math.abs((samples[100] as number) - 0.5 * Math.sin((2 * Math.PI * 440 * 100) / 24000)) < 1e-6);
    await enc.close();
  });

  it('decodes in a thread to the same samples, and keeps decode errors and their reason', async () => {
    const p = pool(1);
    const bytes = await wav(sine(330, 16000, 1), 16000);
    const viaThread = await p.decode(bytes);
    const inline = await pool(0).decode(bytes);
    assert.equal(viaThread.sampleRate, 16000);
    assert.deepEqual(viaThread.channels, inline.channels);
    assert.equal(bytes.length, 44 + 32000, 'the caller keeps its bytes');
    await assert.rejects(p.decode(Buffer.from('RIFF....WAVEjunk')), (err) => err instanceof AudioDecodeError && typeof err.reason === 'string');
    await assert.rejects(p.decode(bytes, { maxSeconds: 0.5 }), (err) => err instanceof AudioDecodeError && err.reason === 'too_long');
    assert.notEqual(p.stats().lastThreadId, mainThreadId);
  });

  it('checks voice prompts in a thread: refusals come back as the same AppError', async () => {
    const p = pool(1);
    await assert.rejects(p.normalizePrompt(await wav(new Float32Array(16000 * 4), 16000)), (err) => {
      return err instanceof AppError && err.code === 'audio_silent' && err.param === 'audio' && err.status === 422;
    });
    const ok = await p.normalizePrompt(await wav(sine(180, 48000, 4, 0.3), 48000));
    const inline = await pool(0).normalizePrompt(await wav(sine(180, 48000, 4, 0.3), 48000));
    assert.ok(Buffer.isBuffer(ok.wav));
    assert.ok(ok.wav.equals(inline.wav));
    assert.deepEqual(ok.samples, inline.samples);
    assert.equal(ok.pitchHz, inline.pitchHz);
    assert.equal(p.stats().tasks['prompt:thread'], 2);
  });

  it('resamples in a thread like inline', async () => {
    const x = sine(500, 44100, 0.7);
    const a = await pool(1).resample(x, 44100, 16000);
    const b = await pool(0).resample(x, 44100, 16000);
    assert.equal(a.length, Math.round((x.length * 16000) / 44100));
    assert.deepEqual(a, b);
  });

  it('starts a second thread only while the first is busy, and frees a session when it is closed', async () => {
    const p = pool(2);
    const spec: CodecSpec = { format: 'opus', inputRate: 24000, pcmRate: 24000, streaming: true };
    const a = await p.openEncoder(spec);
    const b = await p.openEncoder(spec);
    assert.equal(p.stats().threads, 2, 'two open sessions on two threads');
    assert.equal(p.stats().openSessions, 2);
    await a.write(sine(200, 24000, 0.3));
    await a.close();
    await b.close();
    await b.close();
    assert.equal(p.stats().openSessions, 0);
    await waitIdle(p);
    await assert.rejects(a.write(sine(200, 24000, 0.1)), /already ended/);
    const c = await p.openEncoder(spec);
    assert.equal(p.stats().threads, 2, 'an idle thread is reused');
    await c.close();
  });

  it('refuses a format the codec cannot carry with the codec\'s RangeError', async () => {
    await assert.rejects(pool(1).openEncoder({ format: 'mp3', inputRate: 24000, pcmRate: 12345, streaming: true }), RangeError);
  });

  it('fails pending work when closed, instead of leaving it hanging', async () => {
    const p = createAudioWork({ threads: 1 });
    const long = sine(200, 48000, 30);
    const pending = assert.rejects(p.resample(long, 48000, 44100), /closed/);
    await p.close();
    await pending;
    await assert.rejects(p.decode(Buffer.alloc(10)), /closed/);
  });
});
