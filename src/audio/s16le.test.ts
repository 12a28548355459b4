import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertSampleRate, float32ToS16le, quantizeInt16Into } from './s16le.js';

describe('float32ToS16le', () => {
  it('scales by 32768 (the inverse of int16ToFloat32), clipping at the int16 ends', () => {
    const bytes = float32ToS16le(new Float32Array([1, -1, 2, -2, 0.5, -0.5, 0, 0.75, 32767 / 32768]));
    const values = Array.from({ length: 9 }, (_, i) => bytes.readInt16LE(i * 2));
    assert.deepEqual(values, [32767, -32768, 32767, -32768, 16384, -16384, 0, 24576, 32767]);
  });

  it('writes little-endian bytes', () => {
    assert.deepEqual([...float32ToS16le(new Float32Array([0.25]))], [0x00, 0x20]);
  });
});

describe('quantizeInt16Into', () => {
  it('fills a caller-owned array at an offset, with the same rounding as float32ToS16le', () => {
    const out = new Int32Array(6).fill(99);
    quantizeInt16Into(new Float32Array([0.5, -1, 1.5, 0.75]), out, 1);
    assert.deepEqual([...out], [99, 16384, -32768, 32767, 24576, 99]);
  });
});

describe('assertSampleRate', () => {
  it('accepts integer rates from 1 kHz to 384 kHz and nothing else', () => {
    for (const ok of [1000, 8000, 22050, 384000]) assertSampleRate(ok);
    for (const bad of [999, 384001, 22050.5, Number.NaN, Infinity, -16000]) {
      assert.throws(() => assertSampleRate(bad), RangeError, String(bad));
    }
  });
});
