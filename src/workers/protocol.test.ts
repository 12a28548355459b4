import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, ProtocolError, encodeAudio, encodeJson, FRAME_JSON } from './protocol.js';

describe('worker protocol frames', () => {
  it('reassembles JSON and audio frames however the stream splits them', () => {
    const samples = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i / 10));
    const wire = Buffer.concat([
      encodeJson({ type: 'hello', protocol: 1, pid: 42, engine: 'espeak' }),
      encodeAudio(7, samples),
      encodeJson({ type: 'done', id: 7, ms: 12.5, samples: 1000 }),
    ]);
    for (const size of [1, 3, 7, 64, wire.length]) {
      const decoder = new FrameDecoder();
      const frames = [];
      for (let i = 0; i < wire.length; i += size) frames.push(...decoder.push(wire.subarray(i, i + size)));
      assert.equal(frames.length, 3, `split every ${size} bytes`);
      assert.deepEqual(frames[0], { kind: 'json', message: { type: 'hello', protocol: 1, pid: 42, engine: 'espeak' } });
      const audio = frames[1];
      assert.ok(audio?.kind === 'audio');
      assert.equal(audio.id, 7);
      assert.deepEqual([...audio.samples], [...samples]);
      assert.deepEqual(frames[2], { kind: 'json', message: { type: 'done', id: 7, ms: 12.5, samples: 1000 } });
    }
  });

  it('decodes a large audio frame that arrives in many pipe-sized pieces, with the next frame in its last piece', () => {
    const samples = Float32Array.from({ length: 600_000 }, (_, i) => ((i % 2000) - 1000) / 1000);
    const wire = Buffer.concat([encodeAudio(3, samples), encodeJson({ type: 'done', id: 3, ms: 1, samples: samples.length })]);
    const decoder = new FrameDecoder();
    const frames = [];
    for (let i = 0; i < wire.length; i += 65_536) frames.push(...decoder.push(wire.subarray(i, i + 65_536)));
    assert.equal(frames.length, 2);
    const audio = frames[0];
    assert.ok(audio?.kind === 'audio');
    assert.equal(audio.samples.length, samples.length);
    assert.deepEqual(audio.samples.subarray(-3), samples.subarray(-3));
    assert.equal(audio.samples[123_457], samples[123_457]);
    assert.deepEqual(frames[1], { kind: 'json', message: { type: 'done', id: 3, ms: 1, samples: samples.length } });
    assert.deepEqual(decoder.push(Buffer.alloc(0)), []);
  });

  it('lays frames out as documented: u32 BE length, kind byte, body', () => {
    const frame = encodeJson({ type: 'heartbeat', seq: 1 });
    const body = '{"type":"heartbeat","seq":1}';
    assert.equal(frame.readUInt32BE(0), body.length + 1);
    assert.equal(frame[4], FRAME_JSON);
    assert.equal(frame.subarray(5).toString(), body);
    const audio = encodeAudio(258, Float32Array.of(0.5));
    assert.deepEqual([...audio], [0, 0, 0, 9, 2, 0, 0, 1, 2, 0, 0, 0, 0x3f]);
  });

  it('refuses frames that are not the protocol', () => {
    const bad = (bytes: Buffer) => assert.throws(() => new FrameDecoder().push(bytes), ProtocolError);
    bad(Buffer.from([0, 0, 0, 0]));
    bad(Buffer.from([0xff, 0, 0, 0, 1]));
    bad(Buffer.from([0, 0, 0, 3, 1, 0x7b, 0x7d]));
    bad(Buffer.from([0, 0, 0, 3, 9, 0, 0]));
    bad(Buffer.from([0, 0, 0, 4, 2, 0, 0, 1]));
  });
});
