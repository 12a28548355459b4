// Opus in Ogg (RFC 7845): libopus via opus-native.ts, our own Ogg pages via ogg.ts.
import { randomBytes } from 'node:crypto';
import type { AudioEncoder, EncoderOptions } from './types.js';
import { OGG_FLAG_BOS, OGG_FLAG_EOS, OggPacketPager, OggPageWriter } from './ogg.js';
import { OpusFrameEncoder } from './opus-native.js';
import { createResampler, type Resampler } from './resample.js';
import { assertSampleRate } from './s16le.js';

/** Rates libopus encodes natively; any other input is resampled to the next one up first. */
export const OPUS_SAMPLE_RATES = [8000, 12000, 16000, 24000, 48000] as const;
/** Granule positions and pre-skip always count 48 kHz samples, whatever the coding rate. */
export const OPUS_GRANULE_RATE = 48000;
/** Plenty for mono speech at every Opus bandwidth. */
export const OPUS_BITRATE = 32000;
/** 50 packets of 20 ms: a page per second of audio keeps Ogg overhead below 1%. */
const PACKETS_PER_PAGE = 50;
const VENDOR = 'cosyfleet (libopus via opusscript)';

/** The identification header (RFC 7845 section 5.1), mono, channel mapping family 0. */
export function opusHead(preSkip: number, inputSampleRate: number): Buffer {
  const h = Buffer.alloc(19);
  h.write('OpusHead', 0, 'ascii');
  h[8] = 1; // version
  h[9] = 1; // channels
  h.writeUInt16LE(preSkip, 10);
  h.writeUInt32LE(inputSampleRate, 12); // informational: the rate the audio had before encoding
  h.writeInt16LE(0, 16); // output gain
  h[18] = 0; // mapping family: mono/stereo, no mapping table
  return h;
}

/** The comment header (RFC 7845 section 5.2). */
export function opusTags(vendor: string, comments: readonly string[] = []): Buffer {
  const parts: Buffer[] = [Buffer.from('OpusTags', 'ascii')];
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const v = Buffer.from(vendor, 'utf8');
  parts.push(u32(v.length), v, u32(comments.length));
  for (const c of comments) {
    const b = Buffer.from(c, 'utf8');
    parts.push(u32(b.length), b);
  }
  return Buffer.concat(parts);
}

class OggOpusEncoder implements AudioEncoder {
  readonly format = 'opus' as const;
  readonly contentType = 'audio/ogg; codecs=opus';
  readonly outputSampleRate = OPUS_GRANULE_RATE;
  private readonly writer = new OggPageWriter(randomBytes(4).readUInt32LE(0));
  private readonly pager = new OggPacketPager(this.writer, PACKETS_PER_PAGE);
  /** 48 kHz samples per coding-rate sample (1, 2, 3, 4 or 6). */
  private readonly granuleScale: number;
  private readonly frame: Float32Array;
  private frameFill = 0;
  /** Samples written by the caller, at the input rate: what the final granule trims to. */
  private inputSamples = 0;
  private packets = 0;
  /**
   * The newest packet, kept out of the pager so that a streaming flush never leaves the final
   * page (EOS, end trim) without a packet to carry.
   */
  private held: Buffer | null = null;
  private headersSent = false;
  private ended = false;

  constructor(
    private readonly opus: OpusFrameEncoder,
    private readonly resampler: Resampler | null,
    private readonly inputSampleRate: number,
    private readonly codingRate: number,
    private readonly streaming: boolean,
  ) {
    this.granuleScale = OPUS_GRANULE_RATE / codingRate;
    this.frame = new Float32Array(opus.frameSize);
  }

  write(samples: Float32Array): Buffer[] {
    if (this.ended) throw new Error('opus encoder: write() after end()');
    const out = this.headers();
    this.inputSamples += samples.length;
    this.consume(this.resampler ? this.resampler.process(samples) : samples, out);
    // A streaming client should hear each write now, not a second later when the page fills.
    if (this.streaming) out.push(...this.pager.flush());
    return out;
  }

  end(): Buffer[] {
    if (this.ended) return [];
    const out = this.headers();
    try {
      if (this.resampler) this.consume(this.resampler.flush(), out);
      // The decoder drops `pre-skip` samples first, so the audio is complete only once the
      // packets cover pre-skip + input; the final granule then trims the padding (RFC 7845 4.5).
      // Counted in 48 kHz samples from the caller's input, so the stream plays for exactly
      // round(input * 48000 / input rate) samples whatever rate it was coded at.
      const preSkip = this.opus.lookahead * this.granuleScale;
      const final = preSkip + Math.round((this.inputSamples * OPUS_GRANULE_RATE) / this.inputSampleRate);
      while (this.packets * this.opus.frameSize * this.granuleScale < final) {
        this.frame.fill(0, this.frameFill);
        this.frameFill = this.opus.frameSize;
        this.encodeFrame(out);
      }
      if (this.held) out.push(...this.pager.add(this.held, this.packets * this.opus.frameSize * this.granuleScale));
      this.held = null;
      out.push(...this.pager.flush(OGG_FLAG_EOS, final));
      return out;
    } finally {
      this.close();
    }
  }

  close(): void {
    this.ended = true;
    this.opus.destroy();
    this.resampler?.destroy();
  }

  private headers(): Buffer[] {
    if (this.headersSent) return [];
    this.headersSent = true;
    const preSkip = this.opus.lookahead * this.granuleScale;
    return [
      this.writer.page([opusHead(preSkip, this.inputSampleRate)], 0, OGG_FLAG_BOS),
      this.writer.page([opusTags(VENDOR)], 0),
    ];
  }

  private consume(samples: Float32Array, out: Buffer[]): void {
    const size = this.opus.frameSize;
    let at = 0;
    while (at < samples.length) {
      const n = Math.min(size - this.frameFill, samples.length - at);
      this.frame.set(samples.subarray(at, at + n), this.frameFill);
      this.frameFill += n;
      at += n;
      if (this.frameFill === size) this.encodeFrame(out);
    }
  }

  private encodeFrame(out: Buffer[]): void {
    const packet = this.opus.encode(this.frame);
    this.frameFill = 0;
    const granule = this.packets * this.opus.frameSize * this.granuleScale;
    this.packets++;
    if (this.held) out.push(...this.pager.add(this.held, granule));
    this.held = packet;
  }
}

/**
 * The rate libopus codes `inputRate` audio at: the smallest Opus rate at or above it (it covers
 * the whole band and costs least: 22.05 kHz espeak speech is coded at 24 kHz, not 48), 48 kHz for
 * anything higher.
 */
export function opusCodingRate(inputRate: number): number {
  return OPUS_SAMPLE_RATES.find((r) => r >= inputRate) ?? OPUS_GRANULE_RATE;
}

/**
 * Ogg Opus encoder, mono, 20 ms frames. Input at 8/12/16/24/48 kHz is coded at that rate;
 * anything else goes through the resampler to opusCodingRate(). The stream always plays at
 * 48 kHz (granules and pre-skip count 48 kHz samples); OpusHead records the input rate.
 */
export async function createOggOpusEncoder(opts: EncoderOptions): Promise<AudioEncoder> {
  assertSampleRate(opts.sampleRate);
  const codingRate = opusCodingRate(opts.sampleRate);
  const resampler = codingRate === opts.sampleRate ? null : await createResampler(opts.sampleRate, codingRate);
  try {
    const opus = await OpusFrameEncoder.create({ sampleRate: codingRate, bitrate: OPUS_BITRATE });
    return new OggOpusEncoder(opus, resampler, opts.sampleRate, codingRate, opts.streaming);
  } catch (err) {
    resampler?.destroy();
    throw err;
  }
}
