// Engine triton in front of several Triton servers behind one target (what a Kubernetes headless
// Service in front of several Triton pods resolves to): calls spread over all of them
// (round_robin), a server that stops leaves the rotation without losing a request, and the
// client's channel refresh (how a DNS name is resolved again) keeps in-flight streams whole.
// The servers are the protocol-faithful stand-in (fakes/triton-server.ts, espeak as the model);
// the target is grpc-js's static `ipv4:` list because this machine has no DNS name to give
// several loopback addresses.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rms } from '../../src/audio/pcm.js';
import { parseGrpcTarget } from '../../src/config/remote.js';
import { TritonEngine } from '../../src/engines/remote/triton.js';
import { TritonClient } from '../../src/engines/remote/kserve/client.js';
import { encodeBytesElements, encodeFp32, encodeInt32, type ModelInferRequest } from '../../src/engines/remote/kserve/protocol.js';
import { FakeTritonServer, MODEL_NAME } from './fakes/triton-server.js';
import { StandInModel } from './fakes/model.js';
import { collect, makePrompt, testSettings } from './helpers.js';
import { waitFor } from '../helpers/wait.js';
import type { VoicePrompt } from '../../src/engines/engine.js';

const model = new StandInModel();
const a = new FakeTritonServer(model);
const b = new FakeTritonServer(model);
let prompt: VoicePrompt;
let target = '';

before(async () => {
  await model.start();
  await a.start();
  await b.start();
  target = `ipv4:127.0.0.1:${a.port},127.0.0.1:${b.port}`;
  prompt = await makePrompt(model, 'voice_tritonbalance01');
});
after(async () => {
  a.stop();
  b.stop();
  await model.close();
});

const segment = (i: number) => ({ text: `Segment number ${i} of the story.`, mode: 'clone' as const, voice: prompt.id, prompt, language: 'en', speed: 1 });
const sent = (server: FakeTritonServer, from: number) => server.received.slice(from).map((r) => r.targetText);

describe('triton: several servers behind one target', () => {
  let engine: TritonEngine;
  before(async () => {
    engine = new TritonEngine({ url: target, model: MODEL_NAME, sampleRate: 24000, remote: testSettings({ retries: 1 }) });
    await engine.start();
  });
  after(() => engine.close());

  it('spreads segments over every server', async () => {
    const [fromA, fromB] = [a.received.length, b.received.length];
    const n = 8;
    for (let i = 0; i < n; i++) assert.ok(rms(await collect(engine, segment(i))) > 0.01, `segment ${i} has audio`);
    const [onA, onB] = [sent(a, fromA), sent(b, fromB)];
    assert.equal(onA.length + onB.length, n, 'each segment was sent once');
    assert.ok(onA.length > 0 && onB.length > 0, `both servers got segments: ${onA.length} on a, ${onB.length} on b`);
  });

  it('a server that stops leaves the rotation: every later segment is served by the other, none lost', async () => {
    b.stop();
    const [fromA, fromB] = [a.received.length, b.received.length];
    const n = 6;
    for (let i = 0; i < n; i++) assert.ok(rms(await collect(engine, segment(100 + i))) > 0.01, `segment ${100 + i} has audio`);
    assert.deepEqual(sent(b, fromB), []);
    // A segment picked for b just as it died fails before any audio and is retried (REMOTE_RETRIES) on a.
    assert.deepEqual([...new Set(sent(a, fromA))].sort(), Array.from({ length: n }, (_, i) => segment(100 + i).text).sort());
    assert.equal(engine.health().ready, true);
  });

  it('a server that comes back at its address rejoins the rotation', async () => {
    await b.start(b.port);
    const fromB = b.received.length;
    let i = 200;
    await waitFor(async () => {
      assert.ok(rms(await collect(engine, segment(i++))) > 0.01);
      return b.received.length > fromB;
    }, 'a segment on the restarted server');
  });
});

describe('triton: channel refresh (the name resolved again)', () => {
  it('moves new calls to a fresh channel while a stream on the old one finishes', async () => {
    // A refresh period far beyond the test: refresh() is called by hand at chosen points.
    const client = new TritonClient(parseGrpcTarget(target), testSettings().timeouts, 3_600_000);
    try {
      await client.ready(MODEL_NAME, new AbortController().signal);
      const audio = await prompt.loadAudio();
      const request: ModelInferRequest = {
        model_name: MODEL_NAME,
        inputs: [
          { name: 'reference_wav', datatype: 'FP32', shape: [1, audio.length] },
          { name: 'reference_wav_len', datatype: 'INT32', shape: [1, 1] },
          { name: 'reference_text', datatype: 'BYTES', shape: [1, 1] },
          { name: 'target_text', datatype: 'BYTES', shape: [1, 1] },
        ],
        outputs: [{ name: 'waveform' }],
        raw_input_contents: [encodeFp32(audio), encodeInt32([audio.length]), encodeBytesElements([prompt.transcript]), encodeBytesElements(['A stream that spans two channel refreshes, in several pieces.'])],
      };
      let pieces = 0;
      for await (const samples of client.streamInfer(request, 'waveform', new AbortController().signal)) {
        assert.ok(samples.length > 0);
        // Twice: the stream's channel is first kept open, then marked to close once this stream ends.
        if (pieces === 0) {
          client.refresh();
          client.refresh();
          await client.ready(MODEL_NAME, new AbortController().signal);
        }
        pieces++;
      }
      assert.ok(pieces > 1, `the stream went on after the refreshes: ${pieces} pieces`);
      client.refresh();
      await client.ready(MODEL_NAME, new AbortController().signal);
    } finally {
      client.close();
    }
  });
});
