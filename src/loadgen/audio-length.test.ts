import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wavHeader } from '../audio/wav.js';
import { audioMeter, parseWavHeader, pcmRate } from './audio-length.js';

const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n] ?? null });

test('pcm: the rate comes from X-Sample-Rate, else the content type, else 24 kHz on the OpenAI route only', async () => {
  assert.equal(pcmRate(headers({ 'x-sample-rate': '22050', 'content-type': 'audio/pcm;rate=16000' }), false), 22050);
  assert.equal(pcmRate(headers({ 'content-type': 'audio/pcm;rate=16000;channels=1' }), false), 16000);
  assert.equal(pcmRate(headers({ 'content-type': 'audio/pcm' }), true), 24000);
  assert.equal(pcmRate(headers({ 'content-type': 'audio/pcm' }), false), null);
  const m = audioMeter('pcm', headers({ 'x-sample-rate': '16000' }), false);
  assert.equal(m.push(new Uint8Array(0)), false);
  assert.equal(m.push(new Uint8Array(16000)), true);
  m.push(new Uint8Array(16000));
  assert.deepEqual(await m.seconds(), { seconds: 1 });
  assert.match(JSON.stringify(await audioMeter('pcm', headers({}), false).seconds()), /without a sample rate/);
});

test('wav: the header is read across chunk boundaries; audio starts after it; streamed (unknown size) and whole files count the same', async () => {
  for (const size of [null, 48000]) {
    const file = Buffer.concat([wavHeader(24000, size), Buffer.alloc(48000)]);
    const m = audioMeter('wav', headers({}), false);
    // One byte at a time through the header: no audio until the first data byte.
    const seen: boolean[] = [];
    for (let i = 0; i < 45; i++) seen.push(m.push(file.subarray(i, i + 1)));
    assert.equal(seen.indexOf(true), 44, `size ${size}`);
    m.push(file.subarray(45));
    assert.deepEqual(await m.seconds(), { seconds: 1 }, `size ${size}`);
  }
  assert.deepEqual(parseWavHeader(Buffer.from('RIFF')), null);
  assert.match(JSON.stringify(parseWavHeader(Buffer.from('RIFF\0\0\0\0AVI LIST'))), /RIFF\/WAVE/);
  const cut = audioMeter('wav', headers({}), false);
  cut.push(wavHeader(24000, null).subarray(0, 30));
  assert.match(JSON.stringify(await cut.seconds()), /inside its header/);
});

test('compressed audio that does not decode is a reason, not a number', async () => {
  const m = audioMeter('mp3', headers({}), false);
  assert.equal(m.push(Buffer.from('not audio at all')), true);
  assert.match(JSON.stringify(await m.seconds()), /could not be decoded/);
});
