import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAacEncoder } from './aac.js';
import { createFfmpegAacEncoder } from './aac-ffmpeg.js';
import { assertToneFile, decodeWithFfmpeg, ffprobeJson, irregularChunks, tempDir, toneThenSilence, writeTemp } from './test-helpers.js';

async function encode(rate: number, input: Float32Array, sizes: readonly number[], ffmpeg: string | null = null) {
  // The ffmpeg variant calls its encoder directly, so a failed start cannot hide behind the fallback.
  const encoder = ffmpeg === 'ffmpeg' ? await createFfmpegAacEncoder({ sampleRate: rate, bitrate: 64_000, ffmpeg }) : await createAacEncoder({ sampleRate: rate, ffmpeg });
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

// The test command installs Debian's ffmpeg (it judges every codec), so both encoders run here.
for (const [variant, ffmpeg] of [
  ['WASM build', null],
  ['ffmpeg process', 'ffmpeg'],
] as const) {
describe(`AAC (ADTS) encoder, ${variant}, judged by ffprobe/ffmpeg`, () => {
  for (const rate of [24000, 22050, 48000]) {
    it(`${rate} Hz: a tone then silence, in irregular chunks`, async () => {
      const input = toneThenSilence(rate, 1, 2);
      const { bytes, beforeEnd } = await encode(rate, input, irregularChunks(input.length, rate), ffmpeg);
      // ADTS frames start with the 12-bit syncword 0xFFF.
      assert.equal(bytes[0], 0xff);
      assert.equal((bytes[1] ?? 0) & 0xf0, 0xf0);
      // ffmpeg answers on its own schedule (a write returns what has arrived so far).
      if (!ffmpeg) assert.ok(beforeEnd > 0, 'bytes arrive while writing, not only at end()');
      else assert.ok(beforeEnd >= 0);
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
    const { bytes } = await encode(24000, new Float32Array(0), [], ffmpeg);
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
    await assert.rejects(createAacEncoder({ sampleRate: 23000, ffmpeg }), RangeError);
    const encoder = await createAacEncoder({ sampleRate: 24000, ffmpeg });
    await encoder.write(toneThenSilence(24000, 0.5, 0.5));
    await encoder.close();
    await encoder.close();
    await assert.rejects(encoder.write(new Float32Array(10)), /ended/);
  });
});
}

describe('AAC fallback', () => {
  it('an ffmpeg that cannot run falls back to the WASM build with one warning, not a failure', async () => {
    const warnings: Error[] = [];
    const listen = (w: Error) => warnings.push(w);
    process.on('warning', listen);
    try {
      const input = toneThenSilence(24000, 0.5, 1);
      const a = await encode(24000, input, [input.length], '/nonexistent/ffmpeg');
      const b = await encode(24000, input, [input.length], '/nonexistent/ffmpeg');
      await new Promise((r) => setImmediate(r));
      assert.equal(a.bytes[0], 0xff);
      assert.ok(b.bytes.equals(a.bytes), 'the WASM encoder is deterministic');
      const ours = warnings.filter((w) => (w as NodeJS.ErrnoException).code === 'COSYFLEET_AUDIO_FALLBACK');
      assert.equal(ours.length, 1);
      assert.match(ours[0]?.message ?? '', /FFMPEG_PATH=\/nonexistent\/ffmpeg/);
    } finally {
      process.off('warning', listen);
    }
  });
});
