import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMp3Encoder, MP3_BITRATE_KBPS, MP3_SAMPLE_RATES } from './mp3.js';
import { decodeWithFfmpeg, ffprobeJson, irregularChunks, runEncoderChunks, sine, tempDir, writeTemp, zeroCrossingFrequency } from './test-helpers.js';
import { int16ToFloat32, rms } from './pcm.js';

let dir: { path: string; remove: () => Promise<void> };
before(async () => {
  dir = await tempDir();
});
after(async () => {
  await dir.remove();
});

describe('MP3 encoder', () => {
  it('encodes at every rate MPEG audio can carry, mono, constant bitrate', async () => {
    for (const rate of MP3_SAMPLE_RATES) {
      const input = sine(440, rate, 0.6);
      const bytes = runEncoderChunks(createMp3Encoder({ sampleRate: rate, streaming: true }), input, irregularChunks(input.length, rate)).bytes;
      const path = await writeTemp(dir.path, `r${rate}.mp3`, bytes);
      const probe = await ffprobeJson(path);
      const audio = probe.streams[0];
      assert.equal(audio?.codec_name, 'mp3', `${rate}`);
      assert.equal(Number(audio?.sample_rate), rate);
      assert.equal(audio?.channels, 1);
      assert.equal(Number(audio?.bit_rate), MP3_BITRATE_KBPS * 1000);
      const decoded = await decodeWithFfmpeg(path);
      // Skip LAME's start-up delay before measuring the tone.
      const tone = int16ToFloat32(decoded.samples).subarray(Math.round(rate * 0.15), Math.round(rate * 0.55));
      const hz = zeroCrossingFrequency(tone, rate);
      assert.ok(Math.abs(hz - 440) < 9, `${rate} Hz: tone at ${hz.toFixed(1)} Hz`);
      assert.ok(rms(tone) > 0.3, `${rate} Hz: rms ${rms(tone)}`);
    }
  });

  it('rejects a rate MP3 cannot carry, naming the ones it can', () => {
    assert.throws(() => createMp3Encoder({ sampleRate: 22000, streaming: false }), (err: unknown) => {
      assert.ok(err instanceof RangeError);
      assert.match(err.message, /22000/);
      assert.match(err.message, /22050/);
      return true;
    });
    assert.throws(() => createMp3Encoder({ sampleRate: 96000, streaming: true }), RangeError);
  });

  it('returns whole frames during writes and only the flush at end()', () => {
    const enc = createMp3Encoder({ sampleRate: 24000, streaming: true });
    const input = sine(440, 24000, 1);
    const run = runEncoderChunks(enc, input, irregularChunks(input.length, 2));
    assert.ok(run.endBytes > 0 && run.endBytes < run.bytes.length / 4, `end() returned ${run.endBytes} of ${run.bytes.length}`);
    // 64 kbps for one second of audio, plus at most a few frames of delay and padding.
    assert.ok(run.bytes.length >= 8000 && run.bytes.length < 8000 + 4 * 288, `${run.bytes.length} bytes`);
    assert.equal(run.bytes[0], 0xff, 'the stream starts with a frame sync');
  });

  it('write() after end() throws; end() and close() are idempotent', () => {
    const enc = createMp3Encoder({ sampleRate: 16000, streaming: false });
    enc.write(sine(440, 16000, 0.2));
    assert.ok(Buffer.concat(enc.end()).length > 0);
    assert.deepEqual(enc.end(), []);
    enc.close?.();
    enc.close?.();
    assert.throws(() => enc.write(new Float32Array(10)), /after end/);
  });
});
