import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppError } from '../errors/app-error.js';
import { createEncoder } from '../audio/encoders.js';
import { int16ToFloat32, rms } from '../audio/pcm.js';
import { decodeWithFfmpeg, ffmpegGenerate, ffprobeJson, tempDir, writeTemp } from '../audio/test-helpers.js';
import type { AudioFormat } from '../audio/types.js';
import { normalizePromptAudio } from './prompt-audio.js';

let dir: { path: string; remove: () => Promise<void> };
before(async () => {
  dir = await tempDir('cosyfleet-prompt-');
});
after(async () => {
  await dir.remove();
});

/** A voiced-sounding tone: F0 with a few harmonics at 1/k, 0.25 peak-ish. */
function voiced(f0: number, rate: number, seconds: number, amplitude = 0.25): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) {
    const p = (2 * Math.PI * f0 * i) / rate;
    out[i] = amplitude * (Math.sin(p) + Math.sin(2 * p) / 2 + Math.sin(3 * p) / 3);
  }
  return out;
}

/** Silence, then `signal`, then silence. */
function padded(signal: Float32Array, rate: number, before: number, after: number): Float32Array {
  const out = new Float32Array(Math.round(rate * before) + signal.length + Math.round(rate * after));
  out.set(signal, Math.round(rate * before));
  return out;
}

async function encode(format: Exclude<AudioFormat, 'pcm'>, samples: Float32Array, rate: number): Promise<Buffer> {
  const encoder = await createEncoder(format, { sampleRate: rate, streaming: false });
  return Buffer.concat([...encoder.write(samples), ...encoder.end()]);
}

/** 16-bit PCM WAV with any number of channels (our encoder writes mono only). */
function wavOf(channels: readonly Float32Array[], rate: number): Buffer {
  const frames = channels[0]?.length ?? 0;
  const data = Buffer.alloc(frames * channels.length * 2);
  for (let i = 0, o = 0; i < frames; i++) {
    for (const c of channels) {
      data.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round((c[i] as number) * 32767))), o);
      o += 2;
    }
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels.length, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * channels.length * 2, 28);
  header.writeUInt16LE(channels.length * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

async function assertRefused(bytes: Uint8Array, code: string, what: string): Promise<void> {
  await assert.rejects(
    normalizePromptAudio(bytes),
    (err: unknown) => {
      assert.ok(err instanceof AppError, `${what}: ${String(err)}`);
      assert.equal(err.code, code, `${what}: ${err.message}`);
      assert.equal(err.param, 'audio');
      return true;
    },
    what,
  );
}

describe('normalizePromptAudio', () => {
  it('trims silence and produces 16 kHz mono 16-bit WAV that ffprobe reads, with facts about the upload', async () => {
    const rate = 44100;
    const upload = await encode('flac', padded(voiced(140, rate, 5), rate, 1.5, 2), rate);
    const prompt = await normalizePromptAudio(upload);
    const path = await writeTemp(dir.path, 'prompt.wav', prompt.wav);
    const probe = await ffprobeJson(path);
    const stream = probe.streams[0];
    assert.equal(stream?.codec_name, 'pcm_s16le');
    assert.equal(stream?.sample_rate, '16000');
    assert.equal(stream?.channels, 1);
    // 5 s of sound plus the 0.1 s margins, of 8.5 s uploaded.
    assert.ok(Math.abs(Number(stream?.duration) - 5.2) < 0.03, `duration ${stream?.duration}`);
    assert.ok(Math.abs(prompt.durationSeconds - 5.2) < 0.03);
    assert.equal(prompt.samples.length, Math.round(prompt.durationSeconds * 16000));
    const decoded = await decodeWithFfmpeg(path);
    assert.ok(Math.abs(rms(int16ToFloat32(decoded.samples.subarray(16000, 64000))) - rms(voiced(140, 16000, 3))) < 0.01, 'the level is kept');
    assert.ok(prompt.pitchHz !== null && Math.abs(prompt.pitchHz - 140) < 3, `pitch ${prompt.pitchHz}`);
    assert.deepEqual(prompt.original, { format: 'flac', contentType: 'audio/flac', bytes: upload.length, sampleRate: 44100, channels: 1, durationSeconds: 8.5 });
  });

  it('accepts WAV, MP3, FLAC and Ogg Opus', async () => {
    for (const [format, rate] of [['wav', 16000], ['mp3', 22050], ['flac', 48000], ['opus', 24000]] as const) {
      const prompt = await normalizePromptAudio(await encode(format, voiced(200, rate, 4), rate));
      assert.equal(prompt.original.format, format);
      assert.ok(prompt.durationSeconds > 3.9 && prompt.durationSeconds < 4.3, `${format}: ${prompt.durationSeconds} s`);
      assert.ok(prompt.pitchHz !== null && Math.abs(prompt.pitchHz - 200) < 4, `${format}: pitch ${prompt.pitchHz}`);
    }
  });

  it('mixes every channel into the mono prompt', async () => {
    const rate = 22050;
    const sound = voiced(150, rate, 4);
    const mono = await normalizePromptAudio(wavOf([sound], rate));
    const stereo = await normalizePromptAudio(wavOf([sound, new Float32Array(sound.length)], rate));
    assert.equal(stereo.original.channels, 2);
    const ratio = rms(stereo.samples) / rms(mono.samples);
    assert.ok(Math.abs(ratio - 0.5) < 0.02, `a channel mixed with a silent one has half the level (ratio ${ratio.toFixed(3)})`);
    // Sound in only the third of four channels still counts, at a quarter of the level.
    const right = await normalizePromptAudio(wavOf([new Float32Array(sound.length), new Float32Array(sound.length), sound, new Float32Array(sound.length)], rate));
    assert.equal(right.original.channels, 4);
    assert.ok(Math.abs(rms(right.samples) / rms(mono.samples) - 0.25) < 0.02);
  });

  it('refuses a sample rate below 16 kHz, also when an Opus stream was made from one', async () => {
    await assertRefused(await encode('wav', voiced(150, 8000, 5), 8000), 'audio_sample_rate_too_low', '8 kHz WAV');
    await assertRefused(await encode('mp3', voiced(150, 11025, 5), 11025), 'audio_sample_rate_too_low', '11 kHz MP3');
    const path = join(dir.path, 'narrow.opus');
    await ffmpegGenerate(['-f', 'lavfi', '-i', 'sine=f=150:d=5:sample_rate=8000', '-c:a', 'libopus'], path);
    await assertRefused(await readFile(path), 'audio_sample_rate_too_low', 'Opus made from 8 kHz');
  });

  it('measures length after trimming silence', async () => {
    const rate = 16000;
    await assertRefused(await encode('wav', voiced(150, rate, 1), rate), 'audio_too_short', '1 s');
    await assertRefused(await encode('wav', padded(voiced(150, rate, 2.5), rate, 5, 5), rate), 'audio_too_short', '2.5 s of sound in 12.5 s');
    await assertRefused(await encode('wav', voiced(150, rate, 31), rate), 'audio_too_long', '31 s');
    await assertRefused(await encode('wav', voiced(150, rate, 60), rate), 'audio_too_long', '60 s');
    const quietEnds = await normalizePromptAudio(await encode('wav', padded(voiced(150, rate, 25), rate, 10, 10), rate));
    assert.ok(quietEnds.durationSeconds < 25.3, '25 s of sound in 45 s is accepted once trimmed');
  });

  it('refuses files that would decode to more than 65 s before decoding them', async () => {
    const path = join(dir.path, 'ten-minutes.flac');
    await ffmpegGenerate(['-f', 'lavfi', '-i', 'sine=f=150:d=600:sample_rate=16000'], path);
    await assertRefused(await readFile(path), 'audio_too_long', '10 minutes of FLAC');
  });

  it('refuses silence and near-silence', async () => {
    await assertRefused(await encode('wav', new Float32Array(16000 * 5), 16000), 'audio_silent', 'digital silence');
    await assertRefused(await encode('wav', voiced(150, 16000, 5, 0.0005), 16000), 'audio_silent', 'a tone at -70 dBFS');
  });

  it('refuses heavily clipped audio and accepts a clean recording at full scale', async () => {
    const rate = 16000;
    const hot = voiced(150, rate, 5, 1.2).map((x) => Math.max(-1, Math.min(1, x)));
    await assertRefused(await encode('wav', hot, rate), 'audio_clipped', 'clipped');
    const loud = voiced(150, rate, 5);
    const peak = loud.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    const prompt = await normalizePromptAudio(await encode('wav', loud.map((x) => x / peak), rate));
    assert.ok(prompt.durationSeconds > 4.9);
  });

  it('refuses what is not readable audio', async () => {
    const good = await encode('wav', voiced(150, 16000, 4), 16000);
    const badHeader = Buffer.from(good);
    badHeader.writeUInt16LE(0, 22); // zero channels
    await assertRefused(badHeader, 'audio_unreadable', 'WAV header with zero channels');
    await assertRefused(good.subarray(0, 30), 'audio_unreadable', 'WAV cut inside its header');
    await assertRefused(Buffer.from('This is not audio, whatever the file name says.\n'.repeat(100)), 'audio_unreadable', 'text');
    await assertRefused(new Uint8Array(0), 'audio_unreadable', 'nothing');
    const path = join(dir.path, 'vorbis.ogg');
    await ffmpegGenerate(['-f', 'lavfi', '-i', 'sine=f=150:d=4', '-c:a', 'libvorbis'], path).catch(() => ffmpegGenerate(['-f', 'lavfi', '-i', 'sine=f=150:d=4', '-c:a', 'vorbis', '-strict', '-2'], path));
    await assertRefused(await readFile(path), 'audio_unreadable', 'Ogg Vorbis');
  });
});
