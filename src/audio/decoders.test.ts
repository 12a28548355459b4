import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { AudioDecodeError, decodeAudio, sniffFormat, type AudioDecodeErrorReason, type DecodeOptions, type SniffedFormat } from './decoders.js';
import { oggCrc32 } from './ogg.js';
import { createEncoder } from './encoders.js';
import { float32ToInt16, rms } from './pcm.js';
import { bestLag, chirp, ffmpegGenerate, irregularChunks, runEncoderChunks, sine, tempDir, toneThenSilence, zeroCrossingFrequency } from './test-helpers.js';
import type { AudioFormat } from './types.js';

const run = promisify(execFile);

let dir: { path: string; remove: () => Promise<void> };
before(async () => {
  dir = await tempDir();
});
after(async () => {
  await dir.remove();
});

const FORMATS: readonly SniffedFormat[] = ['wav', 'mp3', 'flac', 'opus'];
const EXT: Record<SniffedFormat, string> = { wav: 'wav', mp3: 'mp3', flac: 'flac', opus: 'opus' };
const CODEC_ARGS: Record<SniffedFormat, string[]> = { wav: [], mp3: ['-b:a', '128k'], flac: [], opus: ['-c:a', 'libopus', '-b:a', '64k'] };
const SECONDS = 1;
/** Left and right get different tones, so a swapped or duplicated channel shows. */
const TONES = [440, 660] as const;

const generated = new Map<string, Buffer>();

/** ffmpeg writes the file (never our encoders): `channels` tones of 0.5 amplitude. */
async function generate(format: SniffedFormat, rate: number, channels: number, extra: string[] = []): Promise<Buffer> {
  const key = `${format}-${rate}-${channels}-${extra.join('')}`;
  const cached = generated.get(key);
  if (cached) return cached;
  const expr = TONES.slice(0, channels)
    .map((f) => `0.5*sin(${f}*2*PI*t)`)
    .join('|');
  const path = join(dir.path, `${key}.${EXT[format]}`);
  await ffmpegGenerate(['-f', 'lavfi', '-i', `aevalsrc=${expr}:s=${rate}:d=${SECONDS}`, ...CODEC_ARGS[format], ...extra], path);
  const bytes = await readFile(path);
  generated.set(key, bytes);
  return bytes;
}

async function assertDecodeError(input: Uint8Array, reason: AudioDecodeErrorReason, what: string, options?: DecodeOptions): Promise<void> {
  await assert.rejects(
    decodeAudio(input, options),
    (err: unknown) => {
      assert.ok(err instanceof AudioDecodeError, `${what}: ${String(err)} is an AudioDecodeError`);
      assert.equal(err.reason, reason, `${what}: ${err.message}`);
      assert.equal(err.name, 'AudioDecodeError');
      return true;
    },
    what,
  );
}

/** Deterministic noise bytes. */
function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s & 0xff;
  }
  return out;
}

function frequency(channel: Float32Array, rate: number): number {
  // Skip onset and codec start-up.
  return zeroCrossingFrequency(channel.subarray(Math.round(rate * 0.1), Math.round(rate * (SECONDS - 0.1))), rate);
}

describe('sniffFormat', () => {
  it('recognises each format ffmpeg writes', async () => {
    for (const format of FORMATS) assert.equal(sniffFormat(await generate(format, 48000, 1)), format);
  });

  it('recognises MP3 by its frame sync without an ID3 tag, and FLAC behind an ID3 tag', async () => {
    const mp3 = await generate('mp3', 44100, 1, ['-write_xing', '0', '-id3v2_version', '0']);
    assert.equal(mp3[0], 0xff, 'no tag in front');
    assert.equal(sniffFormat(mp3), 'mp3');
    const id3 = Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
    assert.equal(sniffFormat(Buffer.concat([id3, await generate('flac', 16000, 1)])), 'flac');
    assert.equal(sniffFormat(id3), 'mp3', 'an ID3 tag alone is taken as MP3');
    assert.equal(sniffFormat(id3.subarray(0, 5)), 'mp3', 'even one cut short');
    await assertDecodeError(id3.subarray(0, 5), 'corrupt', 'a file that ends inside its ID3 tag');
  });

  it('names nothing it cannot decode: Ogg Vorbis, AAC, raw PCM, noise, nothing', async () => {
    const vorbis = join(dir.path, 'v.ogg');
    await ffmpegGenerate(['-f', 'lavfi', '-i', 'sine=f=440:r=16000:d=0.3', '-c:a', 'libvorbis'], vorbis);
    const aac = join(dir.path, 'a.aac');
    await ffmpegGenerate(['-f', 'lavfi', '-i', 'sine=f=440:r=16000:d=0.3', '-c:a', 'aac', '-f', 'adts'], aac);
    assert.equal(sniffFormat(await readFile(vorbis)), null);
    assert.equal(sniffFormat(await readFile(aac)), null, 'ADTS sync is not an MPEG Layer III sync');
    assert.equal(sniffFormat(float32ToInt16Bytes(sine(440, 16000, 0.3))), null);
    assert.equal(sniffFormat(noise(4096, 1)), null);
    assert.equal(sniffFormat(new Uint8Array(0)), null);
  });
});

function float32ToInt16Bytes(samples: Float32Array): Buffer {
  const pcm = float32ToInt16(samples);
  return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

describe('decodeAudio: files written by ffmpeg', () => {
  for (const format of FORMATS) {
    for (const rate of [16000, 44100, 48000]) {
      for (const channels of [1, 2]) {
        it(`${format} ${rate} Hz ${channels === 1 ? 'mono' : 'stereo'}`, async () => {
          const decoded = await decodeAudio(await generate(format, rate, channels));
          // Opus always decodes at 48 kHz, whatever the input rate was.
          const outRate = format === 'opus' ? 48000 : rate;
          assert.equal(decoded.sampleRate, outRate);
          assert.equal(decoded.channels.length, channels);
          // ffmpeg marks MP3 delay/padding (LAME tag) and Opus trimming, so even lossy lengths are exact.
          const length = decoded.channels[0]?.length ?? 0;
          assert.ok(Math.abs(length - SECONDS * outRate) <= 1, `${length} samples, expected ${SECONDS * outRate}`);
          decoded.channels.forEach((channel, c) => {
            const hz = frequency(channel, outRate);
            assert.ok(Math.abs(hz - (TONES[c] as number)) < 5, `channel ${c}: ${hz.toFixed(1)} Hz`);
            assert.ok(Math.abs(rms(channel.subarray(outRate * 0.1)) - 0.354) < 0.03, `channel ${c}: rms ${rms(channel)}`);
          });
        });
      }
    }
  }
});

/** Rewrites a WAVE_FORMAT_EXTENSIBLE header as the plain 16-byte fmt chunk with the same codec. */
function toPlainFmt(wav: Buffer): Buffer {
  assert.equal(wav.toString('ascii', 12, 16), 'fmt ');
  assert.equal(wav.readUInt16LE(20), 0xfffe);
  const fmtSize = wav.readUInt32LE(16);
  const fmt = Buffer.from(wav.subarray(20, 36));
  fmt.writeUInt16LE(wav.readUInt16LE(44), 0); // the sub-format GUID starts with the format tag
  const rest = wav.subarray(20 + fmtSize);
  const head = Buffer.alloc(20);
  head.write('RIFF', 0, 'ascii');
  head.writeUInt32LE(4 + 8 + 16 + rest.length, 4);
  head.write('WAVEfmt ', 8, 'ascii');
  head.writeUInt32LE(16, 16);
  return Buffer.concat([head, fmt, rest]);
}

describe('decodeAudio: WAV sample formats', () => {
  const variants: ReadonlyArray<[codec: string, formatTag: number, tolerance: number]> = [
    ['pcm_u8', 1, 1 / 64],
    ['pcm_s16le', 1, 1e-4],
    ['pcm_s24le', 0xfffe, 1e-6],
    ['pcm_s32le', 0xfffe, 1e-6],
    ['pcm_f32le', 0xfffe, 1e-6],
    ['pcm_f64le', 0xfffe, 1e-6],
  ];
  for (const [codec, tag, tolerance] of variants) {
    it(`${codec}${tag === 0xfffe ? ' (WAVE_FORMAT_EXTENSIBLE, and rewritten as a plain fmt chunk)' : ''}`, async () => {
      const wav = await generate('wav', 22050, 2, ['-c:a', codec]);
      assert.equal(wav.readUInt16LE(20), tag, 'the fmt chunk is the kind this case is about');
      const files = tag === 0xfffe ? [wav, toPlainFmt(wav)] : [wav];
      for (const file of files) {
        const decoded = await decodeAudio(file);
        assert.equal(decoded.sampleRate, 22050);
        assert.equal(decoded.channels.length, 2);
        decoded.channels.forEach((channel, c) => {
          assert.equal(channel.length, 22050);
          const ideal = sine(TONES[c] as number, 22050, 1);
          let worst = 0;
          for (let i = 0; i < channel.length; i++) worst = Math.max(worst, Math.abs((channel[i] as number) - (ideal[i] as number)));
          assert.ok(worst < tolerance, `channel ${c}: off by up to ${worst}`);
        });
      }
    });
  }

  it('reads a streamed WAV (unknown sizes) to the end of the data', async () => {
    const input = sine(440, 24000, 0.5);
    const enc = await createEncoder('wav', { sampleRate: 24000, streaming: true });
    const bytes = runEncoderChunks(enc, input, irregularChunks(input.length, 1)).bytes;
    assert.equal(bytes.readUInt32LE(40), 0xffffffff);
    assert.equal((await decodeAudio(bytes)).channels[0]?.length, input.length);
    // What a client keeps from a stream cut mid-sample: whole samples only.
    assert.equal((await decodeAudio(bytes.subarray(0, 44 + 1001))).channels[0]?.length, 500);
  });

  it('refuses WAV codecs other than PCM and float', async () => {
    const adpcm = join(dir.path, 'adpcm.wav');
    await ffmpegGenerate(['-f', 'lavfi', '-i', 'sine=f=440:r=16000:d=0.3', '-c:a', 'adpcm_ms'], adpcm);
    await assertDecodeError(await readFile(adpcm), 'unrecognized_format', 'MS ADPCM in WAV');
  });

  it('refuses float samples that are not finite', async () => {
    const wav = Buffer.from(await generate('wav', 16000, 1, ['-c:a', 'pcm_f32le']));
    const data = wav.indexOf('data', 12, 'ascii');
    wav.writeFloatLE(Number.NaN, data + 8 + 400);
    await assertDecodeError(wav, 'corrupt', 'NaN in float WAV');
  });
});

describe('decodeAudio: our own encoders round-trip', () => {
  const formats: readonly Exclude<AudioFormat, 'pcm'>[] = ['wav', 'flac', 'mp3', 'opus'];
  for (const format of formats) {
    for (const streaming of [false, true]) {
      it(`${format}${streaming ? ' streamed' : ''} at 22050 Hz`, async () => {
        const rate = 22050;
        // Trailing silence matters: FLAC codes it as tiny frames, the case a naive splitter loses.
        const input = format === 'opus' ? chirp(200, 3000, rate, 1.2) : toneThenSilence(rate, 0.8, 1.2);
        const enc = await createEncoder(format, { sampleRate: rate, streaming });
        const bytes = runEncoderChunks(enc, input, irregularChunks(input.length, 5)).bytes;
        assert.equal(sniffFormat(bytes), format);
        const decoded = await decodeAudio(bytes);
        assert.equal(decoded.channels.length, 1);
        const out = decoded.channels[0] as Float32Array;
        if (format === 'wav' || format === 'flac') {
          assert.equal(decoded.sampleRate, rate);
          assert.deepEqual(float32ToInt16(out), float32ToInt16(input), 'lossless: the exact 16-bit samples');
        } else if (format === 'opus') {
          assert.equal(decoded.sampleRate, 48000);
          assert.equal(out.length, Math.round((input.length * 48000) / rate));
          const { lag, correlation } = bestLag(chirp(200, 3000, 48000, 1.2), out, 400);
          // libopus decodes SILK/hybrid packets 2 samples (0.04 ms) earlier than ffmpeg's own
          // decoder, for ffmpeg-encoded streams too; a wrong pre-skip would be hundreds off.
          assert.ok(Math.abs(lag) <= 3 && correlation > 0.9, `lag ${lag}, correlation ${correlation.toFixed(3)}`);
        } else {
          assert.equal(decoded.sampleRate, rate);
          // No LAME tag on our CBR stream: decoders play the encoder delay and final padding.
          assert.ok(out.length >= input.length && out.length <= input.length + 1105 + 2 * 576, `${out.length} samples`);
          const hz = zeroCrossingFrequency(out.subarray(Math.round(rate * 0.15), Math.round(rate * 0.75)), rate);
          assert.ok(Math.abs(hz - 440) < 5, `${hz.toFixed(1)} Hz`);
          assert.ok(rms(out.subarray(Math.round(rate * 1.0))) < 0.01, 'the silence stays silent');
        }
      });
    }
  }

  it('an encoder that got no samples gives a file that decodes as "empty"', async () => {
    for (const format of ['wav', 'flac', 'opus'] as const) {
      const bytes = Buffer.concat((await createEncoder(format, { sampleRate: 16000, streaming: false })).end());
      await assertDecodeError(bytes, 'empty', `${format} without samples`);
    }
  });
});

describe('decodeAudio: bad input', () => {
  it('an empty buffer is "empty"', async () => {
    await assertDecodeError(new Uint8Array(0), 'empty', 'zero bytes');
  });

  it('noise and headerless PCM are "unrecognized_format"', async () => {
    for (const seed of [1, 2, 3]) await assertDecodeError(noise(10000, seed), 'unrecognized_format', `noise ${seed}`);
    await assertDecodeError(float32ToInt16Bytes(sine(440, 16000, 0.3)), 'unrecognized_format', 'raw PCM');
  });

  it('a valid signature followed by garbage is "corrupt", never a library error or noise passed as audio', async () => {
    const ogg = await generate('opus', 48000, 1);
    const firstPage = ogg.subarray(0, 27 + (ogg[26] as number) + 19);
    const id3 = Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 0]);
    const cases: Array<[string, Buffer]> = [
      ['RIFF/WAVE', Buffer.concat([Buffer.from('RIFF\xff\xff\x00\x00WAVE', 'latin1'), noise(3000, 4)])],
      ['fLaC', Buffer.concat([Buffer.from('fLaC'), noise(3000, 5)])],
      ['ID3', Buffer.concat([id3, noise(3000, 6)])],
      ['OpusHead page', Buffer.concat([firstPage, noise(3000, 7)])],
    ];
    for (const [what, bytes] of cases) await assertDecodeError(bytes, 'corrupt', what);
  });

  for (const format of FORMATS) {
    it(`a truncated ${format} file is "corrupt", wherever it was cut`, async () => {
      const full = await generate(format, 44100, 2);
      await decodeAudio(full); // the uncut file is fine
      // From 48 bytes on, every format's signature is complete (before, "unrecognized" is fair).
      const cuts = [48, 120, 500, Math.floor(full.length / 3), Math.floor(full.length / 2), full.length - 100, full.length - 3, full.length - 1];
      for (const cut of cuts) await assertDecodeError(full.subarray(0, cut), 'corrupt', `${format} cut at ${cut} of ${full.length}`);
    });
  }

  it('a file cut exactly between frames or pages is "corrupt" where the header says how long it is', async () => {
    // Frame CRCs cannot see these cuts: the MP3 Xing frame count, FLAC STREAMINFO's sample
    // count and the missing Ogg end-of-stream page can.
    for (const format of ['mp3', 'flac'] as const) {
      const full = await generate(format, 44100, 2);
      const path = join(dir.path, `boundary.${format}`);
      await writeFile(path, full);
      const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'packet=pos', '-of', 'csv=p=0', path]);
      const starts = stdout.trim().split('\n').map(Number);
      const cut = starts[starts.length - 2] as number;
      assert.ok(cut > 1000 && cut < full.length - 100, `frame boundary at ${cut}`);
      await assertDecodeError(full.subarray(0, cut), 'corrupt', `${format} cut before its last frames`);
    }
    const ogg = await generate('opus', 44100, 2);
    const lastPage = ogg.lastIndexOf('OggS');
    assert.ok(lastPage > 100);
    await assertDecodeError(ogg.subarray(0, lastPage), 'corrupt', 'Ogg Opus without its end-of-stream page');
  });

  it('damaged FLAC frames and Ogg pages fail their CRC checks', async () => {
    const flac = Buffer.from(await generate('flac', 16000, 1));
    flac[flac.length - 500] = (flac[flac.length - 500] as number) ^ 0x10;
    await assertDecodeError(flac, 'corrupt', 'bit flip in a FLAC frame');
    const opus = Buffer.from(await generate('opus', 16000, 1));
    opus[opus.length - 200] = (opus[opus.length - 200] as number) ^ 0x01;
    await assertDecodeError(opus, 'corrupt', 'bit flip in an Ogg page');
  });
});

/** Rewrites the granule position of the Ogg page at `at` and fixes its CRC. */
function setGranule(ogg: Buffer, at: number, granule: number): void {
  ogg.writeUInt32LE(granule, at + 6);
  ogg.writeUInt32LE(0, at + 10);
  ogg.writeUInt32LE(0, at + 22);
  const segments = ogg[at + 26] as number;
  let body = 0;
  for (let i = 0; i < segments; i++) body += ogg[at + 27 + i] as number;
  ogg.writeUInt32LE(oggCrc32(ogg.subarray(at, at + 27 + segments + body)), at + 22);
}

describe('decodeAudio: bounds on what a file decodes to', () => {
  /** ffmpeg writes `seconds` of a tone, or of silence (which FLAC and Opus code in very few bytes). */
  async function long(format: SniffedFormat, rate: number, seconds: number, source = 'sine=f=440'): Promise<Buffer> {
    const path = join(dir.path, `long-${format}-${rate}-${seconds}-${source.replace(/\W/g, '')}.${EXT[format]}`);
    await ffmpegGenerate(['-f', 'lavfi', '-i', `${source}:d=${seconds}`, '-ar', String(rate), ...CODEC_ARGS[format]], path);
    return readFile(path);
  }

  for (const format of FORMATS) {
    it(`${format}: a file longer than maxSeconds is "too_long", one within it decodes`, async () => {
      const bytes = await long(format, 16000, 5);
      await assertDecodeError(bytes, 'too_long', `${format} of 5 s with maxSeconds 4`, { maxSeconds: 4 });
      const decoded = await decodeAudio(bytes, { maxSeconds: 6 });
      assert.ok((decoded.channels[0]?.length ?? 0) / decoded.sampleRate > 4.9);
    });
  }

  it('maxSamples counts every channel', async () => {
    const stereo = await generate('wav', 16000, 2);
    await assertDecodeError(stereo, 'too_long', 'stereo WAV with room for one channel', { maxSamples: 16000 * SECONDS });
    const decoded = await decodeAudio(stereo, { maxSamples: 2 * 16000 * SECONDS });
    assert.equal(decoded.channels.length, 2);
  });

  it('refuses ten minutes of silence squeezed into a few KiB of FLAC or Opus', async () => {
    for (const format of ['flac', 'opus'] as const) {
      const bytes = await long(format, 48000, 600, 'anullsrc=r=48000:cl=mono');
      assert.ok(bytes.length < 1_000_000, `${format}: ${bytes.length} bytes for 600 s`);
      await assertDecodeError(bytes, 'too_long', `${format}: 600 s of silence`, { maxSeconds: 60 });
    }
  });

  it('counts Opus packets rather than trusting granule positions', async () => {
    const ogg = Buffer.from(await long('opus', 48000, 20));
    // Claim one second on every page: the stream still holds 20 s of packets.
    for (let at = ogg.indexOf('OggS'); at >= 0; at = ogg.indexOf('OggS', at + 4)) {
      if (ogg.readUInt32LE(at + 6) !== 0 || ogg.readUInt32LE(at + 10) !== 0) setGranule(ogg, at, 48000 + 312);
    }
    await assertDecodeError(ogg, 'too_long', 'Opus with lying granules', { maxSeconds: 10 });
  });

  it('reports the rate an Opus stream was made from, beside the 48 kHz it decodes at', async () => {
    const decoded = await decodeAudio(await generate('opus', 16000, 1));
    assert.equal(decoded.sampleRate, 48000);
    assert.equal(decoded.sourceSampleRate, 16000);
    const wav = await decodeAudio(await generate('wav', 22050, 1));
    assert.equal(wav.sourceSampleRate, 22050);
  });
});
