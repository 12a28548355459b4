import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OpusFrameEncoder, opusNativeStats } from './opus-native.js';
import { sine } from './test-helpers.js';

const RATES = [8000, 12000, 16000, 24000, 48000] as const;

function frames(signal: Float32Array, size: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let at = 0; at + size <= signal.length; at += size) out.push(signal.subarray(at, at + size));
  return out;
}

describe('OpusFrameEncoder', () => {
  it('uses 20 ms frames and reports libopus lookahead (6.5 ms) at every coding rate', async () => {
    for (const rate of RATES) {
      const enc = await OpusFrameEncoder.create({ sampleRate: rate, bitrate: 32000 });
      try {
        assert.equal(enc.frameSize, rate / 50);
        assert.equal(enc.lookahead, (rate * 6.5) / 1000, `${rate} Hz`);
      } finally {
        enc.destroy();
      }
    }
  });

  it('emits one mono 20 ms packet per frame (RFC 6716 TOC byte)', async () => {
    const enc = await OpusFrameEncoder.create({ sampleRate: 24000, bitrate: 32000 });
    try {
      for (const frame of frames(sine(440, 24000, 0.2), enc.frameSize)) {
        const packet = enc.encode(frame);
        assert.ok(packet.length > 1 && packet.length < 400, `${packet.length} bytes`);
        const toc = packet[0] as number;
        const config = toc >> 3;
        // Configs whose frame size is 20 ms: SILK 1,5,9; hybrid 13,15; CELT 18,22,26,30.
        assert.ok([1, 5, 9, 13, 15, 18, 22, 26, 30].includes(config), `config ${config}`);
        assert.equal((toc >> 2) & 1, 0, 'mono');
        assert.equal(toc & 3, 0, 'one frame per packet');
      }
    } finally {
      enc.destroy();
    }
  });

  it('rejects a frame of the wrong size and any use after destroy(); destroy() is idempotent', async () => {
    const enc = await OpusFrameEncoder.create({ sampleRate: 16000, bitrate: 24000 });
    assert.throws(() => enc.encode(new Float32Array(319)), RangeError);
    enc.destroy();
    enc.destroy();
    assert.throws(() => enc.encode(new Float32Array(320)), /after destroy/);
  });

  it('a burst of concurrent creates shares WASM instances (64 encoders each)', async () => {
    const before = opusNativeStats();
    const encoders = await Promise.all(Array.from({ length: 70 }, () => OpusFrameEncoder.create({ sampleRate: 16000, bitrate: 24000 })));
    try {
      const during = opusNativeStats();
      assert.equal(during.encoders, before.encoders + 70);
      assert.ok(during.instances <= 2, `${during.instances} instances for 70 encoders`);
    } finally {
      for (const e of encoders) e.destroy();
    }
    const after = opusNativeStats();
    assert.equal(after.encoders, before.encoders);
    assert.ok(after.instances <= 1, 'idle extra instances are released');
  });

  it('encoders sharing an instance do not disturb each other (same input, same packets)', async () => {
    // libopus is deterministic, so an encoder interleaved with 69 busy neighbours (across two
    // instances) must produce exactly what a lone encoder produces from the same input.
    const input = frames(sine(330, 16000, 0.5), 320);
    const lone = await OpusFrameEncoder.create({ sampleRate: 16000, bitrate: 24000 });
    const expected = input.map((f) => lone.encode(f));
    lone.destroy();

    const crowd = await Promise.all(Array.from({ length: 70 }, () => OpusFrameEncoder.create({ sampleRate: 16000, bitrate: 24000 })));
    try {
      const noise = (k: number): Float32Array => sine(200 + 37 * k, 16000, 0.02, 0.9);
      const watched = [0, 35, 69];
      const got = watched.map((): Buffer[] => []);
      for (let f = 0; f < input.length; f++) {
        crowd.forEach((enc, k) => {
          const w = watched.indexOf(k);
          if (w >= 0) got[w]?.push(enc.encode(input[f] as Float32Array));
          else enc.encode(noise(k));
        });
      }
      for (const packets of got) {
        assert.equal(packets.length, expected.length);
        packets.forEach((p, i) => assert.ok(p.equals(expected[i] as Buffer), `packet ${i} differs`));
      }
    } finally {
      for (const e of crowd) e.destroy();
    }
  });
});
