import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createWavEncoder, WAV_HEADER_BYTES, WAV_UNKNOWN_SIZE, wavHeader } from './wav.js';
import { decodeWithFfmpeg, ffprobeJson, irregularChunks, runEncoderChunks, sine, tempDir, writeTemp } from './test-helpers.js';

let dir: { path: string; remove: () => Promise<void> };
before(async () => {
  dir = await tempDir();
});
after(async () => {
  await dir.remove();
});

/** The fields of a canonical 44-byte header, read independently of wavHeader's code. */
function readHeader(h: Buffer): Record<string, number | string> {
  return {
    riff: h.toString('ascii', 0, 4),
    riffSize: h.readUInt32LE(4),
    wave: h.toString('ascii', 8, 12),
    fmt: h.toString('ascii', 12, 16),
    fmtSize: h.readUInt32LE(16),
    formatTag: h.readUInt16LE(20),
    channels: h.readUInt16LE(22),
    sampleRate: h.readUInt32LE(24),
    byteRate: h.readUInt32LE(28),
    blockAlign: h.readUInt16LE(32),
    bits: h.readUInt16LE(34),
    data: h.toString('ascii', 36, 40),
    dataSize: h.readUInt32LE(40),
  };
}

const common = { riff: 'RIFF', wave: 'WAVE', fmt: 'fmt ', fmtSize: 16, formatTag: 1, channels: 1, blockAlign: 2, bits: 16, data: 'data' };

describe('wavHeader', () => {
  it('states exact sizes when the length is known', () => {
    const h = wavHeader(24000, 48000);
    assert.equal(h.length, WAV_HEADER_BYTES);
    assert.deepEqual(readHeader(h), { ...common, riffSize: 36 + 48000, sampleRate: 24000, byteRate: 48000, dataSize: 48000 });
  });

  it('writes 0xFFFFFFFF for both sizes when streaming', () => {
    const h = wavHeader(22050, null);
    assert.deepEqual(readHeader(h), { ...common, riffSize: 0xffffffff, sampleRate: 22050, byteRate: 44100, dataSize: 0xffffffff });
    assert.equal(WAV_UNKNOWN_SIZE, 0xffffffff);
  });

  it('falls back to "unknown" for data a 32-bit RIFF size cannot state', () => {
    assert.equal(wavHeader(48000, 0xffffffff - 36).readUInt32LE(4), 0xffffffff);
    assert.equal(wavHeader(48000, 0xffffffff - 36).readUInt32LE(40), 0xffffffff - 36);
    assert.equal(wavHeader(48000, 0xffffffff - 35).readUInt32LE(40), 0xffffffff);
    assert.equal(wavHeader(48000, 5e9).readUInt32LE(4), 0xffffffff);
  });
});

describe('WAV encoder', () => {
  it('streams the unknown-length header first, then raw samples as they come', () => {
    const enc = createWavEncoder({ sampleRate: 16000, streaming: true });
    const first = Buffer.concat(enc.write(new Float32Array([0.5, -0.5, 1, -1])));
    assert.equal(first.length, WAV_HEADER_BYTES + 8);
    assert.equal(first.readUInt32LE(4), 0xffffffff);
    assert.equal(first.readUInt32LE(40), 0xffffffff);
    assert.deepEqual([...new Int16Array(first.buffer.slice(first.byteOffset + 44, first.byteOffset + 52))], [16384, -16384, 32767, -32768]);
    assert.deepEqual(Buffer.concat(enc.write(new Float32Array([0.25]))), Buffer.from([0x00, 0x20]));
    assert.deepEqual(enc.end(), []);
  });

  it('holds everything until end() when not streaming, then writes exact sizes', () => {
    const enc = createWavEncoder({ sampleRate: 22050, streaming: false });
    const input = sine(440, 22050, 0.3);
    const run = runEncoderChunks(enc, input, irregularChunks(input.length, 3));
    assert.equal(run.endBytes, run.bytes.length);
    assert.equal(run.bytes.length, 44 + input.length * 2);
    assert.equal(run.bytes.readUInt32LE(4), 36 + input.length * 2);
    assert.equal(run.bytes.readUInt32LE(40), input.length * 2);
  });

  it('gives a valid, empty file for a stream that never got samples', async () => {
    for (const streaming of [false, true]) {
      const enc = createWavEncoder({ sampleRate: 24000, streaming });
      const bytes = Buffer.concat(enc.end());
      assert.equal(bytes.length, WAV_HEADER_BYTES);
      const probe = await ffprobeJson(await writeTemp(dir.path, `empty-${streaming}.wav`, bytes));
      assert.equal(probe.streams[0]?.codec_name, 'pcm_s16le');
      assert.equal(probe.streams[0]?.sample_rate, '24000');
    }
  });

  it('a streamed file cut off anywhere still plays up to the cut (what a dropped client keeps)', async () => {
    const enc = createWavEncoder({ sampleRate: 24000, streaming: true });
    const input = sine(440, 24000, 1);
    const bytes = runEncoderChunks(enc, input, irregularChunks(input.length, 5)).bytes;
    const cut = 44 + 2 * 12000;
    const decoded = await decodeWithFfmpeg(await writeTemp(dir.path, 'cut.wav', bytes.subarray(0, cut)));
    assert.equal(decoded.samples.length, 12000);
  });

  it('rejects an implausible sample rate', () => {
    assert.throws(() => createWavEncoder({ sampleRate: 500, streaming: false }), RangeError);
  });
});
