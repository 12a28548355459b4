// The small wire-format pieces the remote engines depend on, checked on their own.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseGrpcTarget, parseHttpBase } from '../../config/remote.js';
import { float32ToS16le } from '../../audio/s16le.js';
import { S16leDecoder, encodeWav } from './pcm.js';
import { scrub } from './failure.js';
import { decodeBytesElements, encodeBytesElements, decodeFp32, encodeFp32 } from './kserve/protocol.js';
import { plainInstruction, withPromptPrefix } from './cosyvoice3.js';
import { multipartBody } from './multipart.js';
import { decodeAudio } from '../../audio/decoders.js';

describe('remote wire formats', () => {
  it('S16leDecoder joins samples split across pieces at any byte', () => {
    const samples = Float32Array.from({ length: 101 }, (_, i) => Math.sin(i / 7) * 0.8);
    const bytes = float32ToS16le(samples);
    for (const cut of [1, 3, 7, 64, 201]) {
      const decoder = new S16leDecoder();
      const out: number[] = [];
      for (let i = 0; i < bytes.length; i += cut) out.push(...decoder.push(bytes.subarray(i, i + cut)));
      assert.equal(decoder.partial, false);
      assert.equal(out.length, samples.length);
      out.forEach((v, i) => assert.ok(Math.abs(v - (samples[i] as number)) < 1 / 16384, `cut ${cut}, sample ${i}`));
    }
    const broken = new S16leDecoder();
    broken.push(bytes.subarray(0, 5));
    assert.equal(broken.partial, true);
  });

  it('prompt WAVs decode back to 16 kHz mono', async () => {
    const samples = Float32Array.from({ length: 16000 }, (_, i) => Math.sin(i / 5) * 0.5);
    const decoded = await decodeAudio(encodeWav(samples, 16000));
    assert.equal(decoded.sampleRate, 16000);
    assert.equal(decoded.channels.length, 1);
    assert.equal(decoded.channels[0]?.length, 16000);
  });

  it('KServe BYTES and FP32 tensors round-trip', () => {
    const texts = ['你好', '', 'hello <|endofprompt|>'];
    const raw = encodeBytesElements(texts);
    assert.equal(raw.readUInt32LE(0), Buffer.byteLength('你好'));
    assert.deepEqual(decodeBytesElements(raw), texts);
    assert.throws(() => decodeBytesElements(raw.subarray(0, raw.length - 1)));
    const floats = Float32Array.from([0, -1, 0.5, 1e-3]);
    assert.deepEqual(decodeFp32(encodeFp32(floats)), floats);
  });

  it('multipart bodies carry UTF-8 fields and a file', () => {
    const form = multipartBody({ tts_text: '你好', prompt_wav: { filename: 'prompt.wav', contentType: 'audio/wav', data: Buffer.from([1, 2, 3]) } });
    const boundary = /boundary=(.+)$/.exec(form.contentType)?.[1];
    assert.ok(boundary);
    const text = form.body.toString('latin1');
    assert.ok(form.body.includes(Buffer.from('\r\n\r\n你好\r\n', 'utf8')));
    assert.ok(form.body.includes(Buffer.concat([Buffer.from('name="prompt_wav"; filename="prompt.wav"\r\nContent-Type: audio/wav\r\n\r\n'), Buffer.from([1, 2, 3, 13, 10])])));
    assert.ok(text.endsWith(`--${boundary}--\r\n`));
  });

  it('server addresses: what is accepted, and what logs may show', () => {
    assert.deepEqual([parseHttpBase('http://gpu:50000/').path, parseHttpBase('http://gpu:50000/').display], ['', 'http://gpu:50000']);
    assert.equal(parseHttpBase('https://x.example/v1/').display, 'https://x.example/v1');
    assert.throws(() => parseHttpBase('gpu:50000'), /http:\/\/ or https:\/\//);
    assert.throws(() => parseHttpBase('http://gpu:50000/?key=1'), /query string/);
    assert.deepEqual(parseGrpcTarget('gpu-box:8001'), { address: 'gpu-box:8001', tls: false, display: 'grpc://gpu-box:8001' });
    assert.deepEqual(parseGrpcTarget('grpcs://[::1]:8001'), { address: '[::1]:8001', tls: true, display: 'grpcs://[::1]:8001' });
    assert.throws(() => parseGrpcTarget('gpu-box'), /host:port/);
    assert.throws(() => parseGrpcTarget('gpu-box:70000'), /port/);
  });

  it('gRPC targets with several servers: dns:/// names and ipv4:/ipv6: lists, each address checked', () => {
    assert.deepEqual(parseGrpcTarget('dns:///triton.tts.svc.cluster.local:8001'), { address: 'dns:///triton.tts.svc.cluster.local:8001', tls: false, display: 'dns:///triton.tts.svc.cluster.local:8001' });
    assert.deepEqual(parseGrpcTarget(' ipv4:127.0.0.1:8001,127.0.0.2:8001 '), { address: 'ipv4:127.0.0.1:8001,127.0.0.2:8001', tls: false, display: 'ipv4:127.0.0.1:8001,127.0.0.2:8001' });
    assert.equal(parseGrpcTarget('ipv6:[::1]:8001,[fe80::2]:9000').address, 'ipv6:[::1]:8001,[fe80::2]:9000');
    // Ordinary host:port input is as strict as before.
    assert.throws(() => parseGrpcTarget('gpu-a:8001,gpu-b:8001'), /host:port/);
    assert.throws(() => parseGrpcTarget('dns://8.8.8.8/gpu-box:8001'), /host:port/);
    assert.throws(() => parseGrpcTarget('dns:///gpu-box'), /host:port/);
    assert.throws(() => parseGrpcTarget('dns:///gpu-box:0'), /port/);
    assert.throws(() => parseGrpcTarget('ipv4:127.0.0.1'), /a\.b\.c\.d:port/);
    assert.throws(() => parseGrpcTarget('ipv4:127.0.0.1:8001,'), /a\.b\.c\.d:port/);
    assert.throws(() => parseGrpcTarget('ipv4:127.0.0.1:8001,gpu-b:8001'), /"gpu-b:8001"/);
    assert.throws(() => parseGrpcTarget('ipv4:300.0.0.1:8001'), /a\.b\.c\.d:port/);
    assert.throws(() => parseGrpcTarget('ipv4:127.0.0.1:70000'), /port/);
    assert.throws(() => parseGrpcTarget('ipv6:::1:8001'), /\[addr\]:port/);
    assert.throws(() => parseGrpcTarget('ipv6:[127.0.0.1]:8001'), /\[addr\]:port/);
  });

  it('messages from a remote lose secrets and control characters', () => {
    assert.equal(scrub('bad key sk-abc123456 in\nrequest', ['sk-abc123456']), 'bad key [redacted] in request');
    assert.equal(scrub('x'.repeat(400)).length, 301);
  });

  it('CosyVoice3 prompt prefix and plain instructions', () => {
    assert.equal(withPromptPrefix('Hi.'), 'You are a helpful assistant.<|endofprompt|>Hi.');
    assert.equal(withPromptPrefix('Custom<|endofprompt|>Hi.'), 'Custom<|endofprompt|>Hi.');
    assert.equal(plainInstruction('You are a helpful assistant. 请用广东话表达。<|endofprompt|>'), '请用广东话表达。');
  });
});
