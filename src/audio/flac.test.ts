import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFlacEncoder, flacBuild, LIBFLAC_WASM_DIR, patchStreamInfo, type FlacOptions } from './flac.js';
import { float32ToS16le } from './s16le.js';
import { decodeWithFfmpeg, fallbackWarnings, ffprobeJson, irregularChunks, runEncoderChunks, sine, tempDir, toneThenSilence, writeTemp } from './test-helpers.js';

const run = promisify(execFile);

let dir: { path: string; remove: () => Promise<void> };
before(async () => {
  dir = await tempDir();
});
after(async () => {
  await dir.remove();
});

interface StreamInfo {
  minBlock: number;
  maxBlock: number;
  minFrame: number;
  maxFrame: number;
  sampleRate: number;
  channels: number;
  bits: number;
  totalSamples: number;
  md5: string;
}

/** STREAMINFO read bit by bit from the spec's layout, independently of flac.ts. */
function readStreamInfo(file: Buffer): StreamInfo {
  assert.equal(file.toString('ascii', 0, 4), 'fLaC');
  assert.equal((file[4] as number) & 0x7f, 0, 'first block is STREAMINFO');
  assert.equal(file.readUIntBE(5, 3), 34);
  const s = file.subarray(8, 42);
  const packed = s.readBigUInt64BE(10);
  return {
    minBlock: s.readUInt16BE(0),
    maxBlock: s.readUInt16BE(2),
    minFrame: s.readUIntBE(4, 3),
    maxFrame: s.readUIntBE(7, 3),
    sampleRate: Number(packed >> 44n),
    channels: Number((packed >> 41n) & 7n) + 1,
    bits: Number((packed >> 36n) & 31n) + 1,
    totalSamples: Number(packed & 0xfffffffffn),
    md5: s.subarray(18, 34).toString('hex'),
  };
}

/** Sizes of the encoded frames as ffprobe's demuxer splits them. */
async function frameSizes(path: string): Promise<number[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'packet=size', '-of', 'csv=p=0', path]);
  return stdout
    .trim()
    .split('\n')
    .map((l) => Number(l.split(',')[0]));
}

describe('FLAC encoder: STREAMINFO', () => {
  for (const rate of [16000, 22050, 24000]) {
    it(`${rate} Hz: a non-streamed file states its length, frame sizes and MD5`, async () => {
      const input = toneThenSilence(rate, 0.7, 1.1);
      const bytes = runEncoderChunks(await createFlacEncoder({ sampleRate: rate, streaming: false }), input, irregularChunks(input.length, rate)).bytes;
      const info = readStreamInfo(bytes);
      assert.equal(info.sampleRate, rate);
      assert.equal(info.channels, 1);
      assert.equal(info.bits, 16);
      assert.equal(info.totalSamples, input.length);
      assert.equal(info.md5, createHash('md5').update(float32ToS16le(input)).digest('hex'), 'MD5 of the s16le samples');
      const path = await writeTemp(dir.path, `si-${rate}.flac`, bytes);
      const sizes = await frameSizes(path);
      assert.equal(info.minFrame, Math.min(...sizes));
      assert.equal(info.maxFrame, Math.max(...sizes));
      const probe = await ffprobeJson(path);
      assert.equal(Number(probe.streams[0]?.duration_ts), input.length);
    });
  }

  it('a streamed file says "unknown" (0) for length, frame sizes and MD5', async () => {
    const input = sine(440, 24000, 0.5);
    const bytes = runEncoderChunks(await createFlacEncoder({ sampleRate: 24000, streaming: true }), input, irregularChunks(input.length, 4)).bytes;
    const info = readStreamInfo(bytes);
    assert.deepEqual(
      [info.totalSamples, info.minFrame, info.maxFrame, info.md5],
      [0, 0, 0, '0'.repeat(32)],
    );
    assert.equal(info.sampleRate, 24000);
    const decoded = await decodeWithFfmpeg(await writeTemp(dir.path, 'streamed.flac', bytes));
    assert.equal(decoded.samples.length, input.length);
  });

  it('an empty stream is a valid FLAC file of zero samples', async () => {
    const bytes = Buffer.concat((await createFlacEncoder({ sampleRate: 16000, streaming: false })).end());
    assert.equal(readStreamInfo(bytes).totalSamples, 0);
    const decoded = await decodeWithFfmpeg(await writeTemp(dir.path, 'empty.flac', bytes));
    assert.equal(decoded.samples.length, 0);
  });
});

describe('patchStreamInfo', () => {
  const blank = (): Buffer => {
    const b = Buffer.alloc(60);
    b.write('fLaC', 0, 'ascii');
    b[4] = 0x80; // last block, STREAMINFO
    b.writeUIntBE(34, 5, 3);
    // 44100 Hz, 2 channels, 24 bits: the bits that share bytes with the sample count.
    b.writeBigUInt64BE((44100n << 44n) | (1n << 41n) | (23n << 36n), 18);
    return b;
  };

  it('writes a 36-bit sample count without touching rate, channels or bits', () => {
    const b = blank();
    patchStreamInfo(b, { min_framesize: 14, max_framesize: 0x123456, total_samples: 2 ** 35 + 7, md5sum: '00112233445566778899aabbccddeeff' });
    const info = readStreamInfo(b);
    assert.equal(info.totalSamples, 2 ** 35 + 7);
    assert.equal(info.sampleRate, 44100);
    assert.equal(info.channels, 2);
    assert.equal(info.bits, 24);
    assert.equal(info.minFrame, 14);
    assert.equal(info.maxFrame, 0x123456);
    assert.equal(info.md5, '00112233445566778899aabbccddeeff');
  });

  it('leaves the MD5 alone when libFLAC did not provide one', () => {
    const b = blank();
    patchStreamInfo(b, { min_framesize: 1, max_framesize: 2, total_samples: 3, md5sum: '' });
    assert.equal(readStreamInfo(b).md5, '0'.repeat(32));
  });

  it('refuses data that does not start with STREAMINFO', () => {
    const info = { min_framesize: 1, max_framesize: 2, total_samples: 3, md5sum: '' };
    assert.throws(() => patchStreamInfo(Buffer.alloc(60), info), /STREAMINFO/);
    const b = blank();
    b[4] = 0x81; // first block is PADDING
    assert.throws(() => patchStreamInfo(b, info), /STREAMINFO/);
  });
});

describe('FLAC encoder: input handling and lifecycle', () => {
  it('takes one very large write (a minute of audio) in one piece', async () => {
    const input = sine(440, 24000, 60);
    const enc = await createFlacEncoder({ sampleRate: 24000, streaming: false });
    const bytes = Buffer.concat([...enc.write(input), ...enc.end()]);
    assert.equal(readStreamInfo(bytes).totalSamples, input.length);
    assert.equal(readStreamInfo(bytes).md5, createHash('md5').update(float32ToS16le(input)).digest('hex'));
  });

  it('deletes the libFLAC encoder exactly once, whether ended, closed, or both', async () => {
    // The build encoders use (the WASM one here), watched at its delete function.
    const { lib: Flac } = await flacBuild();
    const original = Flac.FLAC__stream_encoder_delete;
    const deleted: number[] = [];
    Flac.FLAC__stream_encoder_delete = (id: number) => {
      deleted.push(id);
      original.call(Flac, id);
    };
    try {
      const a = await createFlacEncoder({ sampleRate: 16000, streaming: true });
      a.write(sine(440, 16000, 0.1));
      a.close?.();
      a.close?.();
      assert.equal(deleted.length, 1);
      assert.deepEqual(a.end(), []);
      assert.throws(() => a.write(new Float32Array(1)), /after end/);

      const b = await createFlacEncoder({ sampleRate: 16000, streaming: false });
      b.write(sine(440, 16000, 0.1));
      assert.ok(Buffer.concat(b.end()).length > 100);
      assert.equal(deleted.length, 2);
      b.close?.();
      assert.deepEqual(b.end(), []);
      // Ids are heap addresses and may be reused, so only the count tells double frees apart.
      assert.equal(deleted.length, 2);
    } finally {
      Flac.FLAC__stream_encoder_delete = original;
    }
  });

  it('rejects an implausible sample rate', async () => {
    await assert.rejects(createFlacEncoder({ sampleRate: 999, streaming: false }), RangeError);
  });
});

describe('FLAC encoder: libFLAC builds', () => {
  /** Encodes and checks with ffmpeg that the file decodes to the 16-bit input bit for bit. */
  async function encodeExact(name: string, options: FlacOptions): Promise<Buffer> {
    const input = toneThenSilence(22050, 0.8, 1.2);
    const bytes = runEncoderChunks(await createFlacEncoder({ sampleRate: 22050, streaming: false }, options), input, irregularChunks(input.length, 11)).bytes;
    const decoded = await decodeWithFfmpeg(await writeTemp(dir.path, name, bytes));
    assert.ok(Buffer.from(decoded.samples.buffer, decoded.samples.byteOffset, decoded.samples.byteLength).equals(float32ToS16le(input)), `${name} decodes bit-exact`);
    return bytes;
  }

  it('encodes with the WASM build by default, byte for byte what the asm.js build makes', async () => {
    assert.equal((await flacBuild()).kind, 'wasm');
    assert.equal((await flacBuild({ wasmDir: null })).kind, 'asmjs');
    const wasm = await encodeExact('wasm.flac', {});
    const asmjs = await encodeExact('asmjs.flac', { wasmDir: null });
    assert.ok(wasm.equals(asmjs), 'the same libFLAC, compiled two ways');
  });

  it('falls back to the asm.js build when the WASM build cannot load: one warning, never an error', async () => {
    const warnings = await fallbackWarnings(async () => {
      // The real loader beside a corrupt .wasm, and a folder with nothing in it.
      const corrupt = join(dir.path, 'corrupt-build');
      await mkdir(corrupt);
      await copyFile(join(LIBFLAC_WASM_DIR, 'libflac.wasm.js'), join(corrupt, 'libflac.wasm.js'));
      await writeFile(join(corrupt, 'libflac.wasm.wasm'), Buffer.from('\0asm but not really'));
      const empty = join(dir.path, 'empty-build');
      await mkdir(empty);
      for (const wasmDir of [corrupt, empty]) assert.equal((await flacBuild({ wasmDir })).kind, 'asmjs');
      await encodeExact('fallback-corrupt.flac', { wasmDir: corrupt });
      await encodeExact('fallback-empty.flac', { wasmDir: empty });
    });
    assert.equal(warnings.length, 1, `one warning per thread: ${warnings.join(' | ')}`);
    assert.match(warnings[0] ?? '', /asm\.js/);
  });
});
