import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMp3Encoder, MP3_BITRATE_KBPS, MP3_SAMPLE_RATES, type Mp3Options } from './mp3.js';
import { decodeWithFfmpeg, fallbackWarnings, ffprobeJson, irregularChunks, runEncoderChunks, sine, tempDir, writeTemp, zeroCrossingFrequency } from './test-helpers.js';
import { int16ToFloat32, rms } from './pcm.js';
import type { AudioEncoder } from './types.js';

let dir: { path: string; remove: () => Promise<void> };
before(async () => {
  dir = await tempDir();
});
after(async () => {
  await dir.remove();
});

/** Samples per MP3 frame: 1152 for MPEG-1 (32 kHz and up), 576 for MPEG-2 and 2.5. */
const frameSize = (rate: number) => (rate >= 32000 ? 1152 : 576);

/**
 * What ffmpeg decodes from n input samples (no LAME tag, so nothing is trimmed): LAME's 576
 * samples of encoder delay, the input, then its flush of at least 576 more, in whole frames.
 */
const decodedLength = (n: number, rate: number) => Math.ceil((n + 1152) / frameSize(rate)) * frameSize(rate);

async function encode(rate: number, input: Float32Array, sizes: readonly number[], mp3: Mp3Options = {}, streaming = true): Promise<Buffer> {
  return runEncoderChunks(await createMp3Encoder({ sampleRate: rate, streaming }, mp3), input, sizes).bytes;
}

/** ffprobe/ffmpeg's view of an MP3: mono CBR at `rate`, the exact decoded length, a 440 Hz tone. */
async function assertMp3Tone(bytes: Buffer, name: string, rate: number, n: number): Promise<void> {
  const path = await writeTemp(dir.path, name, bytes);
  const audio = (await ffprobeJson(path)).streams[0];
  assert.equal(audio?.codec_name, 'mp3', name);
  assert.equal(Number(audio?.sample_rate), rate, name);
  assert.equal(audio?.channels, 1);
  assert.equal(Number(audio?.bit_rate), MP3_BITRATE_KBPS * 1000);
  const decoded = await decodeWithFfmpeg(path);
  assert.equal(decoded.samples.length, decodedLength(n, rate), `${name}: decoded length`);
  // Skip LAME's start-up delay before measuring the tone.
  const tone = int16ToFloat32(decoded.samples).subarray(Math.round(rate * 0.15), Math.round(rate * 0.55));
  const hz = zeroCrossingFrequency(tone, rate);
  assert.ok(Math.abs(hz - 440) < 9, `${name}: tone at ${hz.toFixed(1)} Hz`);
  assert.ok(rms(tone) > 0.3, `${name}: rms ${rms(tone)}`);
}

describe('MP3 encoder (LAME in WASM)', () => {
  it('encodes at every rate MPEG audio can carry: mono, constant bitrate, the tone, the length to the sample', async () => {
    for (const rate of MP3_SAMPLE_RATES) {
      const input = sine(440, rate, 0.6);
      await assertMp3Tone(await encode(rate, input, irregularChunks(input.length, rate)), `r${rate}.mp3`, rate, input.length);
    }
  });

  it('decodes to the input length plus LAME delay and padding, in whole frames, for any length', async () => {
    for (const rate of [16000, 22050, 48000]) {
      // Lengths on both sides of frame boundaries; at least three frames, because ffprobe's
      // format detection can take a two-frame file for MPEG-TS.
      for (const n of [3 * frameSize(rate) - 1151, 3 * frameSize(rate) - 1152, 3 * frameSize(rate) - 1153, 4097, 33333]) {
        const input = sine(440, rate, n / rate);
        const decoded = await decodeWithFfmpeg(await writeTemp(dir.path, `n${n}.mp3`, await encode(rate, input, [n])));
        assert.equal(decoded.samples.length, decodedLength(n, rate), `${rate} Hz, ${n} samples`);
      }
    }
  });

  it('gives the same bytes streamed in irregular chunks, in one write, and from a reused instance', async () => {
    // Long enough that one write crosses the encoder's internal slicing.
    const input = sine(440, 24000, 3.2);
    const streamed = await encode(24000, input, irregularChunks(input.length, 5));
    const whole = await encode(24000, input, [input.length], {}, false);
    assert.ok(streamed.equals(whole), 'streaming = non-streaming');
    // The first stream's instance went back to the idle list; this one re-configures it.
    const again = await encode(24000, input, irregularChunks(input.length, 6));
    assert.ok(again.equals(whole), 'a re-used LAME instance starts clean');
    const other = await encode(16000, sine(440, 16000, 1), [16000]);
    const afterOtherRate = await encode(24000, input, [input.length]);
    assert.ok(other.length > 0 && afterOtherRate.equals(whole), 'whatever rate the instance had before');
  });

  it('hands out copies, not views into WASM memory that later calls overwrite', async () => {
    const rate = 22050;
    const enc = await createMp3Encoder({ sampleRate: rate, streaming: true });
    const kept: Buffer[] = [];
    for (let i = 0; i < 5; i++) kept.push(...enc.write(sine(440 + 100 * i, rate, 0.3)));
    kept.push(...enc.end());
    const snapshot = kept.map((b) => Buffer.from(b));
    // Other streams now run in the same instance and memory.
    await encode(rate, sine(1000, rate, 2), [rate * 2]);
    await encode(rate, sine(300, rate, 2), [rate * 2]);
    assert.ok(kept.length > 3);
    kept.forEach((b, i) => assert.ok(b.equals(snapshot[i] as Buffer), `buffer ${i} unchanged`));
  });

  it('rejects a rate MP3 cannot carry, naming the ones it can', async () => {
    await assert.rejects(createMp3Encoder({ sampleRate: 22000, streaming: false }), (err: unknown) => {
      assert.ok(err instanceof RangeError);
      assert.match(err.message, /22000/);
      assert.match(err.message, /22050/);
      return true;
    });
    await assert.rejects(createMp3Encoder({ sampleRate: 96000, streaming: true }), RangeError);
  });

  it('returns whole frames during writes and only the flush at end()', async () => {
    const enc = await createMp3Encoder({ sampleRate: 24000, streaming: true });
    const input = sine(440, 24000, 1);
    const run = runEncoderChunks(enc, input, irregularChunks(input.length, 2));
    assert.ok(run.endBytes > 0 && run.endBytes < run.bytes.length / 4, `end() returned ${run.endBytes} of ${run.bytes.length}`);
    // 64 kbps for one second of audio, plus at most a few frames of delay and padding.
    assert.ok(run.bytes.length >= 8000 && run.bytes.length < 8000 + 4 * 288, `${run.bytes.length} bytes`);
    assert.equal(run.bytes[0], 0xff, 'the stream starts with a frame sync');
  });

  it('write() after end() throws; end() and close() are idempotent; close() mid-stream is fine', async () => {
    const enc = await createMp3Encoder({ sampleRate: 16000, streaming: false });
    enc.write(sine(440, 16000, 0.2));
    assert.ok(Buffer.concat(enc.end()).length > 0);
    assert.deepEqual(enc.end(), []);
    enc.close?.();
    enc.close?.();
    assert.throws(() => enc.write(new Float32Array(10)), /after end/);
    const abandoned = await createMp3Encoder({ sampleRate: 16000, streaming: true });
    abandoned.write(sine(440, 16000, 0.2));
    abandoned.close?.();
    assert.deepEqual(abandoned.end(), []);
    assert.throws(() => abandoned.write(new Float32Array(10)), /after end/);
  });
});

describe('MP3 encoder fallback (lamejs)', () => {
  it('falls back to lamejs when the WASM build cannot load: valid MP3, one warning, never an error', async () => {
    const rate = 22050;
    const input = sine(440, rate, 0.6);
    const sizes = irregularChunks(input.length, 3);
    let viaFallback: Buffer = Buffer.alloc(0);
    let missing: Buffer = Buffer.alloc(0);
    const warnings = await fallbackWarnings(async () => {
      const broken = join(dir.path, 'broken-mp3.wasm');
      await writeFile(broken, Buffer.from('not a wasm module'));
      viaFallback = await encode(rate, input, sizes, { wasmFile: broken });
      missing = await encode(rate, input, sizes, { wasmFile: join(dir.path, 'no-such.wasm') });
    });
    assert.equal(warnings.length, 1, `one warning for every fallback in this thread: ${warnings.join(' | ')}`);
    assert.match(warnings[0] ?? '', /lamejs/);
    await assertMp3Tone(viaFallback, 'fallback.mp3', rate, input.length);

    // It is lamejs that ran: the same bytes as lamejs chosen on purpose (which does not warn),
    // and not the WASM build's.
    let lamejs: Buffer = Buffer.alloc(0);
    let wasm: Buffer = Buffer.alloc(0);
    const quiet = await fallbackWarnings(async () => {
      lamejs = await encode(rate, input, sizes, { wasmFile: null });
      wasm = await encode(rate, input, sizes);
    });
    assert.deepEqual(quiet, []);
    assert.ok(viaFallback.equals(lamejs) && missing.equals(lamejs));
    assert.ok(!lamejs.equals(wasm), 'the two LAME builds differ in their bytes');
  });

  it('the lamejs path keeps the same contract (rates, streaming = non-streaming)', async () => {
    for (const rate of [8000, 24000, 44100]) {
      const input = sine(440, rate, 0.6);
      const streamed = await encode(rate, input, irregularChunks(input.length, rate), { wasmFile: null });
      const whole = await encode(rate, input, [input.length], { wasmFile: null }, false);
      assert.ok(streamed.equals(whole));
      await assertMp3Tone(streamed, `lamejs-${rate}.mp3`, rate, input.length);
    }
    const enc: AudioEncoder = await createMp3Encoder({ sampleRate: 16000, streaming: true }, { wasmFile: null });
    enc.end();
    assert.throws(() => enc.write(new Float32Array(1)), /after end/);
  });
});
