import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOggOpusEncoder, opusCodingRate, opusHead, opusTags } from './ogg-opus.js';
import { oggCrc32 } from './ogg.js';
import { opusNativeStats } from './opus-native.js';
import { int16ToFloat32, rms } from './pcm.js';
import { assertToneFile, bestLag, chirp, decodeWithFfmpeg, irregularChunks, runEncoderChunks, sine, tempDir, toneThenSilence, writeTemp } from './test-helpers.js';

let dir: { path: string; remove: () => Promise<void> };
before(async () => {
  dir = await tempDir();
});
after(async () => {
  await dir.remove();
});

interface Page {
  flags: number;
  granule: number;
  serial: number;
  sequence: number;
  packets: Buffer[];
}

/** Pages and their complete packets, checking each CRC (independent of ogg.ts's writer). */
function pages(stream: Buffer): Page[] {
  const out: Page[] = [];
  let at = 0;
  while (at < stream.length) {
    assert.equal(stream.toString('ascii', at, at + 4), 'OggS');
    const n = stream[at + 26] as number;
    const lacing = [...stream.subarray(at + 27, at + 27 + n)];
    const end = at + 27 + n + lacing.reduce((a, b) => a + b, 0);
    const copy = Buffer.from(stream.subarray(at, end));
    copy.writeUInt32LE(0, 22);
    assert.equal(oggCrc32(copy), stream.readUInt32LE(at + 22), 'page CRC');
    const packets: Buffer[] = [];
    let body = at + 27 + n;
    let size = 0;
    for (const l of lacing) {
      size += l;
      if (l < 255) {
        packets.push(stream.subarray(body, body + size));
        body += size;
        size = 0;
      }
    }
    assert.equal(size, 0, 'our pages never continue a packet onto the next page');
    out.push({
      flags: stream[at + 5] as number,
      granule: Number(stream.readBigInt64LE(at + 6)),
      serial: stream.readUInt32LE(at + 14),
      sequence: stream.readUInt32LE(at + 18),
      packets,
    });
    at = end;
  }
  return out;
}

describe('Opus headers', () => {
  it('OpusHead follows RFC 7845 5.1', () => {
    const h = opusHead(312, 22050);
    assert.equal(h.length, 19);
    assert.equal(h.toString('ascii', 0, 8), 'OpusHead');
    assert.equal(h[8], 1);
    assert.equal(h[9], 1);
    assert.equal(h.readUInt16LE(10), 312);
    assert.equal(h.readUInt32LE(12), 22050);
    assert.equal(h.readInt16LE(16), 0);
    assert.equal(h[18], 0);
  });

  it('OpusTags carries the vendor and comments, length-prefixed', () => {
    const t = opusTags('vé', ['A=b']);
    assert.equal(t.toString('ascii', 0, 8), 'OpusTags');
    assert.equal(t.readUInt32LE(8), 3, 'vendor length counts UTF-8 bytes');
    assert.equal(t.toString('utf8', 12, 15), 'vé');
    assert.equal(t.readUInt32LE(15), 1);
    assert.equal(t.readUInt32LE(19), 3);
    assert.equal(t.toString('utf8', 23), 'A=b');
  });
});

describe('Ogg Opus encoder: stream structure', () => {
  for (const rate of [16000, 22050, 24000]) {
    for (const streaming of [false, true]) {
      it(`${rate} Hz${streaming ? ' streamed' : ''}: headers, granules and EOS per RFC 7845`, async () => {
        const input = sine(440, rate, 1.3);
        const enc = await createOggOpusEncoder({ sampleRate: rate, streaming });
        const bytes = runEncoderChunks(enc, input, irregularChunks(input.length, rate)).bytes;
        const ps = pages(bytes);
        const [head, tags, ...audio] = ps;
        assert.ok(head && tags && audio.length > 0);
        assert.deepEqual(
          ps.map((p) => p.sequence),
          ps.map((_, i) => i),
        );
        assert.ok(ps.every((p) => p.serial === head.serial));
        assert.equal(head.flags, 0x02, 'BOS on the first page only');
        assert.equal(head.packets.length, 1);
        const headPacket = head.packets[0] as Buffer;
        assert.equal(headPacket.toString('ascii', 0, 8), 'OpusHead');
        const preSkip = headPacket.readUInt16LE(10);
        assert.equal(preSkip, 312, '6.5 ms of libopus lookahead at 48 kHz');
        assert.equal(headPacket.readUInt32LE(12), rate);
        assert.equal(head.granule, 0);
        assert.equal(tags.granule, 0);
        assert.equal(tags.packets[0]?.toString('ascii', 0, 8), 'OpusTags');

        const last = audio[audio.length - 1] as Page;
        assert.ok(audio.slice(0, -1).every((p) => p.flags === 0));
        assert.equal(last.flags, 0x04, 'EOS on the last page');
        const samples48k = Math.round((input.length * 48000) / rate);
        assert.equal(last.granule, preSkip + samples48k, 'final granule trims the padding exactly');
        let packets = 0;
        let previous = 0;
        for (const p of audio) {
          packets += p.packets.length;
          assert.ok(p.granule >= previous);
          // Granules count whole 20 ms packets, except the final, trimmed one.
          if (p !== last) assert.equal(p.granule, packets * 960);
          previous = p.granule;
        }
        assert.ok(packets * 960 >= last.granule && (packets - 1) * 960 < last.granule, `${packets} packets for granule ${last.granule}`);
        if (streaming) assert.ok(audio.length >= 10, 'streamed pages follow the writes');
        else assert.ok(audio.length <= 3, 'a page per second when not streaming');
      });
    }
  }

  it('a streamed encoder sends audio pages while writing, not only at end()', async () => {
    const enc = await createOggOpusEncoder({ sampleRate: 24000, streaming: true });
    const first = Buffer.concat(enc.write(new Float32Array(100)));
    assert.equal(pages(first).length, 2, 'headers go out with the first write');
    const second = pages(Buffer.concat(enc.write(sine(440, 24000, 0.5))));
    // 0.5 s = 25 packets; the newest is held back so end() can mark it EOS.
    assert.equal(
      second.reduce((n, p) => n + p.packets.length, 0),
      24,
    );
    enc.close?.();
  });

  it('an empty stream is still valid: headers and an EOS page that plays nothing', async () => {
    const enc = await createOggOpusEncoder({ sampleRate: 16000, streaming: false });
    const bytes = Buffer.concat(enc.end());
    const ps = pages(bytes);
    assert.equal(ps.length, 3);
    assert.equal(ps[2]?.flags, 0x04);
    assert.equal(ps[2]?.granule, 312);
    const decoded = await decodeWithFfmpeg(await writeTemp(dir.path, 'empty.opus', bytes));
    assert.equal(decoded.samples.length, 0);
  });
});

describe('Ogg Opus encoder: audio judged by ffmpeg', () => {
  for (const rate of [24000, 22050, 44100]) {
    it(`${rate} Hz input plays back at 48 kHz, time-aligned to the sample and exact in length`, async () => {
      const input = chirp(200, 3000, rate, 1.2);
      const enc = await createOggOpusEncoder({ sampleRate: rate, streaming: true });
      const bytes = runEncoderChunks(enc, input, irregularChunks(input.length, 9)).bytes;
      const decoded = await decodeWithFfmpeg(await writeTemp(dir.path, `chirp-${rate}.opus`, bytes));
      assert.equal(decoded.sampleRate, 48000);
      assert.equal(decoded.samples.length, Math.round((input.length * 48000) / rate));
      const reference = chirp(200, 3000, 48000, 1.2);
      const { lag, correlation } = bestLag(reference, int16ToFloat32(decoded.samples), 600);
      // A wrong pre-skip would show as a lag of hundreds of samples.
      assert.ok(Math.abs(lag) <= 1, `decoded audio is ${lag} samples off`);
      // Coded at 24 kHz (24000 and 22050 input) libopus runs its hybrid mode, whose SILK layer
      // keeps the spectrum rather than the waveform: 0.88-0.96 here, against 0.98-0.99 for
      // what is coded at 48 kHz. Still far above an unrelated or misaligned signal.
      assert.ok(correlation > 0.8, `correlation ${correlation.toFixed(3)}`);
      assert.ok(rms(int16ToFloat32(decoded.samples)) > 0.3);
    });
  }
});

/** The TOC byte's audio bandwidth of every audio packet (RFC 6716 3.1). */
function bandwidths(stream: Buffer): Set<string> {
  const out = new Set<string>();
  for (const p of pages(stream).slice(2)) {
    for (const packet of p.packets) {
      const config = (packet[0] as number) >> 3;
      if (config < 12) out.add(['NB', 'MB', 'WB'][config >> 2] as string);
      else if (config < 16) out.add(config < 14 ? 'SWB' : 'FB');
      else out.add(['NB', 'WB', 'SWB', 'FB'][(config - 16) >> 2] as string);
    }
  }
  return out;
}

describe('Ogg Opus encoder: coding rate', () => {
  it('codes at the smallest Opus rate at or above the input rate, 48 kHz above that', () => {
    const want: Record<number, number> = { 8000: 8000, 11025: 12000, 12000: 12000, 16000: 16000, 22050: 24000, 24000: 24000, 32000: 48000, 44100: 48000, 48000: 48000, 96000: 48000 };
    for (const [input, coding] of Object.entries(want)) assert.equal(opusCodingRate(Number(input)), coding, `${input} Hz`);
  });

  it("espeak's 22.05 kHz is coded at 24 kHz: no packet spends bits on the fullband above 12 kHz", async () => {
    // At 48 kHz libopus signals fullband for part of even a 440 Hz tone; at 24 kHz it cannot.
    const input = sine(440, 22050, 1);
    const enc = await createOggOpusEncoder({ sampleRate: 22050, streaming: false });
    const bytes = runEncoderChunks(enc, input, [input.length]).bytes;
    const seen = bandwidths(bytes);
    assert.ok(!seen.has('FB') && seen.size > 0, `bandwidths ${[...seen].join(', ')}`);
    assert.equal(pages(bytes)[0]?.packets[0]?.readUInt32LE(12), 22050, 'OpusHead keeps the input rate');
  });

  for (const rate of [22050, 11025, 32000]) {
    it(`${rate} Hz input: ffprobe sees 48 kHz Opus of the right length with the tone at 440 Hz`, async () => {
      const input = toneThenSilence(rate, 1, 1.5);
      const enc = await createOggOpusEncoder({ sampleRate: rate, streaming: true });
      const bytes = runEncoderChunks(enc, input, irregularChunks(input.length, rate)).bytes;
      const path = await writeTemp(dir.path, `tone-${rate}.opus`, bytes);
      // ffprobe's duration counts the 6.5 ms pre-skip too; what decodes is exact (below).
      const decoded = await assertToneFile(path, { codecName: 'opus', sampleRate: 48000, toneSeconds: 1, totalSeconds: 1.5, durationTolerance: 0.005, checkProbeDuration: true });
      assert.equal(decoded.samples.length, Math.round((input.length * 48000) / rate), 'exact to the 48 kHz sample');
    });
  }
});

describe('Ogg Opus encoder: lifecycle', () => {
  it('frees its native encoder on end() and on close(), once', async () => {
    const base = opusNativeStats().encoders;
    const a = await createOggOpusEncoder({ sampleRate: 24000, streaming: false });
    const b = await createOggOpusEncoder({ sampleRate: 22050, streaming: true });
    assert.equal(opusNativeStats().encoders, base + 2);
    a.write(sine(440, 24000, 0.1));
    a.end();
    assert.equal(opusNativeStats().encoders, base + 1);
    b.write(sine(440, 22050, 0.1));
    b.close?.();
    b.close?.();
    a.close?.();
    assert.equal(opusNativeStats().encoders, base);
    assert.deepEqual(b.end(), []);
    assert.throws(() => b.write(new Float32Array(1)), /after end/);
  });
});
