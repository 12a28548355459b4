import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRawPcmEncoder, rawPcmContentType } from './raw-pcm.js';
import { irregularChunks, runEncoderChunks, sine } from './test-helpers.js';

describe('raw PCM encoder', () => {
  it('names rate, channels and byte order in the content type', () => {
    assert.equal(rawPcmContentType(22050), 'audio/pcm;rate=22050;channels=1;encoding=s16le');
    assert.equal(createRawPcmEncoder({ sampleRate: 16000, streaming: true }).contentType, 'audio/pcm;rate=16000;channels=1;encoding=s16le');
  });

  it('emits little-endian s16 bytes on every write, nothing at the end', () => {
    const enc = createRawPcmEncoder({ sampleRate: 16000, streaming: false });
    const out = enc.write(new Float32Array([0, 0.5, -1, 1, -0.5]));
    assert.equal(out.length, 1);
    assert.deepEqual([...(out[0] as Buffer)], [0x00, 0x00, 0x00, 0x40, 0x00, 0x80, 0xff, 0x7f, 0x00, 0xc0]);
    assert.deepEqual(enc.write(new Float32Array(0)), []);
    assert.deepEqual(enc.end(), []);
  });

  it('concatenated output is the whole signal, whatever the chunking', () => {
    const input = sine(440, 24000, 0.5);
    const run = runEncoderChunks(createRawPcmEncoder({ sampleRate: 24000, streaming: true }), input, irregularChunks(input.length, 11));
    assert.equal(run.bytes.length, input.length * 2);
    for (const i of [0, 1, 777, input.length - 1]) {
      const want = Math.min(32767, Math.round((input[i] as number) * 32768));
      assert.equal(run.bytes.readInt16LE(i * 2), want, `sample ${i}`);
    }
  });

  it('rejects writes after end() and implausible rates', () => {
    const enc = createRawPcmEncoder({ sampleRate: 16000, streaming: false });
    enc.end();
    assert.throws(() => enc.write(new Float32Array(1)), /after end/);
    assert.throws(() => createRawPcmEncoder({ sampleRate: 1e6, streaming: false }), RangeError);
  });
});
