import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatFloat32, float32ToInt16, int16ToFloat32, rms } from './pcm.js';

describe('pcm conversions', () => {
  it('int16 to float32 divides by 32768', () => {
    assert.deepEqual([...int16ToFloat32(new Int16Array([-32768, 0, 16384, 32767]))], [-1, 0, 0.5, 32767 / 32768]);
  });

  it('float32 to int16 clips and rounds', () => {
    assert.deepEqual([...float32ToInt16(new Float32Array([-1.5, -1, 0.00001, 0.99999, 3]))], [-32768, -32768, 0, 32767, 32767]);
  });

  it('round-trips every int16 value exactly', () => {
    const all = new Int16Array(65536);
    for (let i = 0; i < all.length; i++) all[i] = i - 32768;
    assert.deepEqual(float32ToInt16(int16ToFloat32(all)), all);
  });
});

describe('rms and concatFloat32', () => {
  it('rms of a full-scale square is 1, of nothing 0', () => {
    assert.equal(rms(new Float32Array([1, -1, 1, -1])), 1);
    assert.equal(rms(new Float32Array(0)), 0);
    assert.ok(Math.abs(rms(new Float32Array([3, 4])) - Math.sqrt(12.5)) < 1e-9);
  });

  it('concatenates in order', () => {
    assert.deepEqual([...concatFloat32([new Float32Array([1, 2]), new Float32Array(0), new Float32Array([3])])], [1, 2, 3]);
  });
});
