import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAacEncoder } from './aac.js';
import { assertToneFile, decodeWithFfmpeg, ffprobeJson, irregularChunks, tempDir, toneThenSilence, writeTemp } from './test-helpers.js';

async function encode(rate: number, input: Float32Array, sizes: readonly number[]) {
  const encoder = await createAacEncoder({ sampleRate: rate });
  const parts: Buffer[] = [];
  let at = 0;
  let firstWriteBytes = -1;
  for (const n of sizes) {
    const out = await encoder.write(input.subarray(at, at + n));
    if (firstWriteBytes < 0) firstWriteBytes = out.reduce((s, b) => s + b.length, 0);
    parts.push(...out);
    at += n;
  }
  const beforeEnd = parts.reduce((s, b) => s + b.length, 0);
  parts.push(...(await encoder.end()));
  await encoder.close();
  return { bytes: Buffer.concat(parts), beforeEnd };
}

describe('AAC (ADTS) encoder, judged by ffprobe/ffmpeg', () => {
  for (const rate of [24000, 22050, 48000]) {
    it(`${rate} Hz: a tone then silence, in irregular chunks`, async () => {
      const input = toneThenSilence(rate, 1, 2);
      const { bytes, beforeEnd } = await encode(rate, input, irregularChunks(input.length, rate));
      // ADTS frames start with the 12-bit syncword 0xFFF.
      assert.equal(bytes[0], 0xff);
      assert.equal((bytes[1] ?? 0) & 0xf0, 0xf0);
      assert.ok(beforeEnd > 0, 'bytes arrive while writing, not only at end()');
      const dir = await tempDir();
      try {
        const path = await writeTemp(dir.path, 'tone.aac', bytes);
        // Priming (1024 samples) and the padded last frame make the decoded file a little longer.
        await assertToneFile(path, { codecName: 'aac', sampleRate: rate, toneSeconds: 1, totalSeconds: 2, durationTolerance: 0.07, checkProbeDuration: false });
        const probe = await ffprobeJson(path);
        assert.equal(probe.format.format_name, 'aac');
        assert.equal(probe.streams[0]?.profile, 'LC');
      } finally {
        await dir.remove();
      }
    });
  }

  it('an empty stream is still a decodable file (one frame of silence)', async () => {
    const { bytes } = await encode(24000, new Float32Array(0), []);
    const dir = await tempDir();
    try {
      const decoded = await decodeWithFfmpeg(await writeTemp(dir.path, 'empty.aac', bytes));
      assert.equal(decoded.sampleRate, 24000);
      assert.ok(decoded.samples.every((s) => Math.abs(s) < 2));
    } finally {
      await dir.remove();
    }
  });

  it('refuses a rate ADTS cannot signal, and close() abandons a stream', async () => {
    await assert.rejects(createAacEncoder({ sampleRate: 23000 }), RangeError);
    const encoder = await createAacEncoder({ sampleRate: 24000 });
    await encoder.write(toneThenSilence(24000, 0.5, 0.5));
    await encoder.close();
    await encoder.close();
    await assert.rejects(encoder.write(new Float32Array(10)), /ended/);
  });
});
