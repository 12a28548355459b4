// Every format × streaming mode × input rate, judged by Debian's ffprobe/ffmpeg rather than by
// our own code. Format-specific details (headers, CRCs, metadata) live in each module's tests.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEncoder } from './encoders.js';
import { float32ToInt16 } from './pcm.js';
import { assertToneFile, irregularChunks, runEncoderChunks, tempDir, toneThenSilence, writeTemp, type RawPcmInput } from './test-helpers.js';
import { AUDIO_FORMATS, type AudioFormat } from './types.js';

const CODEC: Record<AudioFormat, string> = { wav: 'pcm_s16le', pcm: 'pcm_s16le', mp3: 'mp3', opus: 'opus', flac: 'flac' };
const EXTENSION: Record<AudioFormat, string> = { wav: 'wav', pcm: 'raw', mp3: 'mp3', opus: 'ogg', flac: 'flac' };
const RATES = [16000, 22050, 24000] as const;
const TONE_SECONDS = 1.5;
const TOTAL_SECONDS = 2.5;

/**
 * How many decoded samples each format may add to the input. Lossless formats add none; Opus
 * trims its padding through the final granule position; MP3 has no gapless header (CBR, no
 * LAME tag), so ffmpeg plays LAME's encoder delay and the last frame's padding.
 */
function allowedExtraSamples(format: AudioFormat, rate: number): number {
  if (format !== 'mp3') return 0;
  const frame = rate >= 32000 ? 1152 : 576;
  return 1105 + 2 * frame;
}

let dir: { path: string; remove: () => Promise<void> };
before(async () => {
  dir = await tempDir();
});
after(async () => {
  await dir.remove();
});

describe('createEncoder: every format, streamed or not, judged by ffmpeg', () => {
  for (const format of AUDIO_FORMATS) {
    for (const rate of RATES) {
      for (const streaming of [false, true]) {
        it(`${format} ${rate} Hz${streaming ? ' streamed' : ''}`, async () => {
          const encoder = await createEncoder(format, { sampleRate: rate, streaming });
          assert.equal(encoder.format, format);
          const outRate = format === 'opus' ? 48000 : rate;
          assert.equal(encoder.outputSampleRate, outRate);

          const input = toneThenSilence(rate, TONE_SECONDS, TOTAL_SECONDS);
          const run = runEncoderChunks(encoder, input, irregularChunks(input.length, rate + (streaming ? 1 : 0)));
          const early = run.bytes.length - run.endBytes;
          if (streaming) {
            // A streamed response must carry audio long before the end, not just headers.
            assert.ok(early > run.bytes.length / 2, `${early} of ${run.bytes.length} bytes left before end()`);
          } else if (format === 'wav' || format === 'flac') {
            // Exact headers are only known at the end, so nothing may leave earlier.
            assert.equal(early, 0);
          }

          const path = await writeTemp(dir.path, `${format}-${rate}-${streaming}.${EXTENSION[format]}`, run.bytes);
          const raw: RawPcmInput | undefined = format === 'pcm' ? { rawRate: rate } : undefined;
          const decoded = await assertToneFile(path, {
            codecName: CODEC[format],
            sampleRate: outRate,
            toneSeconds: TONE_SECONDS,
            totalSeconds: TOTAL_SECONDS,
            // ffprobe counts Opus pre-skip (6.5 ms) and MP3 delay/padding in its duration.
            durationTolerance: format === 'mp3' ? 0.06 : 0.01,
            // A streamed FLAC's STREAMINFO says "length unknown"; ffprobe then reports none.
            checkProbeDuration: !(streaming && format === 'flac'),
            ...(raw ? { raw } : {}),
          });

          const expected = Math.round((input.length * outRate) / rate);
          const extra = decoded.samples.length - expected;
          assert.ok(extra >= 0 && extra <= allowedExtraSamples(format, rate), `decoded ${decoded.samples.length} samples, expected ${expected}`);
          if (format === 'wav' || format === 'pcm' || format === 'flac') {
            assert.deepEqual(decoded.samples, float32ToInt16(input), 'lossless formats return the exact 16-bit samples');
          }
        });
      }
    }
  }
});

describe('createEncoder: streaming and non-streaming agree', () => {
  const rate = 22050;
  const input = toneThenSilence(rate, 0.5, 0.8);
  const encodeBoth = async (format: AudioFormat): Promise<[Buffer, Buffer]> => {
    const sizes = irregularChunks(input.length, 7);
    const a = runEncoderChunks(await createEncoder(format, { sampleRate: rate, streaming: false }), input, sizes).bytes;
    const b = runEncoderChunks(await createEncoder(format, { sampleRate: rate, streaming: true }), input, sizes).bytes;
    return [a, b];
  };

  it('mp3 and pcm produce identical bytes either way', async () => {
    for (const format of ['mp3', 'pcm'] as const) {
      const [a, b] = await encodeBoth(format);
      assert.ok(a.length > 1000);
      assert.ok(a.equals(b), `${format} output differs between modes`);
    }
  });

  it('wav differs only in the two size fields', async () => {
    const [a, b] = await encodeBoth('wav');
    assert.equal(a.length, b.length);
    assert.ok(a.subarray(44).equals(b.subarray(44)));
    assert.ok(a.subarray(8, 40).equals(b.subarray(8, 40)));
    assert.equal(a.readUInt32LE(40), input.length * 2);
    assert.equal(b.readUInt32LE(40), 0xffffffff);
  });

  it('flac differs only inside STREAMINFO (frame sizes, total samples, MD5)', async () => {
    const [a, b] = await encodeBoth('flac');
    assert.equal(a.length, b.length);
    // fLaC + block header + min/max block size: identical; the rest of STREAMINFO is patched.
    assert.ok(a.subarray(0, 12).equals(b.subarray(0, 12)));
    assert.ok(a.subarray(42).equals(b.subarray(42)));
    assert.ok(!a.subarray(12, 42).equals(b.subarray(12, 42)));
  });
});

describe('createEncoder: options', () => {
  it('rejects sample rates mp3 cannot carry with a RangeError, before any output', async () => {
    for (const rate of [22000, 44000, 96000]) {
      await assert.rejects(createEncoder('mp3', { sampleRate: rate, streaming: false }), RangeError);
    }
  });

  it('rejects implausible sample rates for every format', async () => {
    for (const format of AUDIO_FORMATS) {
      for (const rate of [0, 100, 22050.5, Number.NaN]) {
        await assert.rejects(createEncoder(format, { sampleRate: rate, streaming: true }), RangeError, `${format} at ${rate}`);
      }
    }
  });

  it('rejects an unknown format name', async () => {
    await assert.rejects(createEncoder('aac' as AudioFormat, { sampleRate: 24000, streaming: false }), RangeError);
  });

  it('labels each format with the content type clients expect', async () => {
    const want: Record<AudioFormat, string> = {
      wav: 'audio/wav',
      pcm: 'audio/pcm;rate=24000;channels=1;encoding=s16le',
      mp3: 'audio/mpeg',
      opus: 'audio/ogg; codecs=opus',
      flac: 'audio/flac',
    };
    for (const format of AUDIO_FORMATS) {
      const encoder = await createEncoder(format, { sampleRate: 24000, streaming: false });
      assert.equal(encoder.contentType, want[format]);
      encoder.close?.();
    }
  });

  it('close() is idempotent, allowed after end(), and ends the stream', async () => {
    for (const format of AUDIO_FORMATS) {
      const closedEarly = await createEncoder(format, { sampleRate: 16000, streaming: true });
      closedEarly.write(new Float32Array(5000).fill(0.25));
      closedEarly.close?.();
      closedEarly.close?.();
      assert.throws(() => closedEarly.write(new Float32Array(10)), /after end/, `${format}: write after close`);
      assert.deepEqual(closedEarly.end(), [], `${format}: end after close gives nothing`);

      const ended = await createEncoder(format, { sampleRate: 16000, streaming: false });
      ended.write(new Float32Array(5000).fill(0.25));
      assert.ok(Buffer.concat(ended.end()).length > 0 || format === 'pcm', `${format}: end() returns the tail`);
      ended.close?.();
      ended.close?.();
      assert.deepEqual(ended.end(), [], `${format}: a second end() gives nothing`);
    }
  });
});
