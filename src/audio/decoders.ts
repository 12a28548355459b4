// Decoders for audio that clients send us (reference voices): WAV, MP3, FLAC and Ogg Opus.
//
// The WASM decoders are lenient by design (made for players): they skip what they cannot
// parse, "decode" random bytes into a few frames of noise, and return whatever they got from a
// truncated file without saying so. An upload that lost its tail must be refused, not used as
// a shorter voice, so each container is walked and checked here first (chunk sizes, frame
// CRCs, Ogg page CRCs, end-of-stream marks) and only complete, verified data is decoded.
import { FLACDecoder } from '@wasm-audio-decoders/flac';
import { MPEGDecoder } from 'mpg123-decoder';
import { OggOpusDecoder } from 'ogg-opus-decoder';
import { oggCrc32 } from './ogg.js';
import type { DecodedAudio } from './types.js';

export type SniffedFormat = 'wav' | 'mp3' | 'flac' | 'opus';

/**
 * unrecognized_format: not one of the formats we decode (or a codec inside WAV we do not).
 * corrupt: recognised, but damaged or truncated (or the decoder failed).
 * empty: no bytes at all, or a well-formed file that holds no samples.
 * too_long: the file would decode to more than DecodeOptions allow (refused before decoding).
 */
export type AudioDecodeErrorReason = 'unrecognized_format' | 'corrupt' | 'empty' | 'too_long';

/**
 * Bounds checked on what a file *will* decode to, before the codec runs: a few KiB of FLAC
 * (constant subframes) or Ogg Opus (tiny packets) can otherwise expand to gigabytes of float.
 */
export interface DecodeOptions {
  /** Longest duration accepted, in seconds. */
  maxSeconds?: number;
  /** Most samples accepted, counted over all channels (frames x channels). */
  maxSamples?: number;
}

/** What decodeAudio returns: the samples plus what the container says about their origin. */
export interface DecodeResult extends DecodedAudio {
  /**
   * The rate the audio had before encoding, where the container records it (OpusHead's input
   * rate; Opus itself always decodes at 48000), otherwise the decoded rate.
   */
  sourceSampleRate: number;
}

export class AudioDecodeError extends Error {
  override readonly name = 'AudioDecodeError';
  readonly reason: AudioDecodeErrorReason;

  constructor(reason: AudioDecodeErrorReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

const corrupt = (message: string): AudioDecodeError => new AudioDecodeError('corrupt', message);

function ascii(b: Uint8Array, at: number, length: number): string {
  if (at < 0 || at + length > b.length) return '';
  return String.fromCharCode(...b.subarray(at, at + length));
}

function u32be(b: Uint8Array, at: number): number {
  return (((b[at] as number) << 24) | ((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number)) >>> 0;
}

function u32le(b: Uint8Array, at: number): number {
  return ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Sniffing

/**
 * End of the ID3v2 tag starting at `at` (possibly beyond the data, if the tag is cut short),
 * or -1 if there is none. MP3 files usually start with one; some FLAC files do too.
 */
function id3v2End(b: Uint8Array, at: number): number {
  if (ascii(b, at, 3) !== 'ID3') return -1;
  if (at + 10 > b.length) return b.length + 1;
  const major = b[at + 3] as number;
  const sizeBytes = b.subarray(at + 6, at + 10);
  if (major < 2 || major > 4 || sizeBytes.some((x) => x >= 0x80)) return -1;
  const size = sizeBytes.reduce((n, x) => n * 128 + x, 0);
  const footer = major === 4 && ((b[at + 5] as number) & 0x10) !== 0 ? 10 : 0;
  return at + 10 + size + footer;
}

/** Offset after any leading ID3v2 tags (beyond the data if one is cut short). */
function skipId3(b: Uint8Array): number {
  let at = 0;
  for (let end = id3v2End(b, 0); end >= 0 && end <= b.length; end = id3v2End(b, at)) at = end;
  const cut = id3v2End(b, at);
  return cut > b.length ? cut : at;
}

function isOggOpus(b: Uint8Array): boolean {
  if (ascii(b, 0, 4) !== 'OggS' || b.length < 27) return false;
  return ascii(b, 27 + (b[26] as number), 8) === 'OpusHead';
}

interface Sniffed {
  format: SniffedFormat;
  /** Where the format's own data starts (after an ID3v2 tag). */
  start: number;
}

function sniff(b: Uint8Array): Sniffed | null {
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WAVE') return { format: 'wav', start: 0 };
  if (isOggOpus(b)) return { format: 'opus', start: 0 };
  const start = skipId3(b);
  if (ascii(b, start, 4) === 'fLaC') return { format: 'flac', start };
  // ID3 tags belong to MP3 in practice, so a tag alone (even one cut short) says MP3.
  if (start > 0) return { format: 'mp3', start };
  const first = parseMpegHeader(b, 0);
  if (!first) return null;
  // One header-like pattern is weak evidence; where the data goes on, the next frame must fit.
  if (first.frameBytes + 4 <= b.length && !sameStream(first, parseMpegHeader(b, first.frameBytes))) return null;
  return { format: 'mp3', start: 0 };
}

/**
 * Names the container/codec of `bytes` from its first bytes: RIFF/WAVE, an ID3 tag or an MPEG
 * Layer III frame header, fLaC (optionally after ID3), or an Ogg stream whose first packet is
 * OpusHead. null for anything else (including Ogg Vorbis and AAC).
 */
export function sniffFormat(bytes: Uint8Array): SniffedFormat | null {
  return sniff(bytes)?.format ?? null;
}

/**
 * Decodes a whole WAV (PCM 8/16/24/32-bit, float 32/64-bit, plain or WAVE_FORMAT_EXTENSIBLE),
 * MP3, FLAC or Ogg Opus file into float channels at the file's rate (Opus: always 48000).
 * Throws AudioDecodeError, never a codec library's own error.
 */
export async function decodeAudio(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodeResult> {
  if (bytes.length === 0) throw new AudioDecodeError('empty', 'no audio data: the input is empty');
  const found = sniff(bytes);
  if (!found) throw new AudioDecodeError('unrecognized_format', 'not a WAV, MP3, FLAC or Ogg Opus file');
  const limit = (size: DecodedSize) => checkSize(found.format, size, options);
  let decoded: DecodeResult;
  try {
    switch (found.format) {
      case 'wav':
        decoded = decodeWav(bytes, limit);
        break;
      case 'mp3':
        decoded = await decodeMp3(bytes, found.start, limit);
        break;
      case 'flac':
        decoded = await decodeFlac(bytes, found.start, limit);
        break;
      case 'opus':
        decoded = await decodeOggOpus(bytes, limit);
        break;
    }
  } catch (err) {
    if (err instanceof AudioDecodeError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new AudioDecodeError('corrupt', `${found.format} data could not be decoded: ${detail}`, { cause: err });
  }
  const length = decoded.channels[0]?.length ?? 0;
  if (decoded.channels.length === 0 || decoded.channels.some((c) => c.length !== length)) {
    throw corrupt(`${found.format} decoder returned inconsistent channels`);
  }
  if (!Number.isInteger(decoded.sampleRate) || decoded.sampleRate <= 0) {
    throw corrupt(`${found.format} decoder reported an invalid sample rate ${decoded.sampleRate}`);
  }
  return decoded;
}

/** What a file will decode to, as its headers and frame structure say, before decoding. */
interface DecodedSize {
  frames: number;
  channels: number;
  sampleRate: number;
}

function checkSize(format: SniffedFormat, size: DecodedSize, options: DecodeOptions): void {
  const seconds = size.frames / size.sampleRate;
  if (options.maxSeconds !== undefined && seconds > options.maxSeconds) {
    throw new AudioDecodeError('too_long', `the ${format} file lasts ${seconds.toFixed(1)} s, more than the ${options.maxSeconds} s accepted`);
  }
  const samples = size.frames * size.channels;
  if (options.maxSamples !== undefined && samples > options.maxSamples) {
    throw new AudioDecodeError(
      'too_long',
      `the ${format} file would decode to ${samples} samples (${seconds.toFixed(1)} s x ${size.channels} channels at ${size.sampleRate} Hz), more than the ${options.maxSamples} accepted`,
    );
  }
}

type SizeCheck = (size: DecodedSize) => void;

/** The codec libraries' free() throws if their start-up failed; that must not hide the cause. */
function freeQuietly(free: () => unknown): void {
  try {
    free();
  } catch {
    // nothing left to release
  }
}

// ---------------------------------------------------------------------------------------------
// WAV

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** KSDATAFORMAT_SUBTYPE_* GUIDs are the format tag followed by these 14 bytes. */
const KSDATAFORMAT_SUFFIX = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
const UNKNOWN_SIZE = 0xffffffff;

interface WavFormat {
  tag: number;
  channels: number;
  sampleRate: number;
  bits: number;
}

function readWavFormat(b: Uint8Array, at: number, size: number): WavFormat {
  if (size < 16) throw corrupt(`WAV fmt chunk of ${size} bytes is too short`);
  const view = new DataView(b.buffer, b.byteOffset + at, size);
  let tag = view.getUint16(0, true);
  const channels = view.getUint16(2, true);
  const sampleRate = view.getUint32(4, true);
  const bits = view.getUint16(14, true);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    if (size < 40) throw corrupt('WAVE_FORMAT_EXTENSIBLE fmt chunk is too short');
    const guid = b.subarray(at + 24, at + 40);
    if (!KSDATAFORMAT_SUFFIX.every((x, i) => guid[i + 2] === x)) {
      throw new AudioDecodeError('unrecognized_format', 'WAV sub-format is not PCM or IEEE float');
    }
    tag = view.getUint16(24, true);
  }
  if (channels === 0 || sampleRate === 0) throw corrupt(`WAV header states ${channels} channels at ${sampleRate} Hz`);
  const supported = (tag === WAVE_FORMAT_PCM && [8, 16, 24, 32].includes(bits)) || (tag === WAVE_FORMAT_IEEE_FLOAT && (bits === 32 || bits === 64));
  if (!supported) {
    throw new AudioDecodeError('unrecognized_format', `WAV codec 0x${tag.toString(16)} with ${bits}-bit samples is not supported (PCM and float only)`);
  }
  return { tag, channels, sampleRate, bits };
}

function decodeWav(b: Uint8Array, limit: SizeCheck): DecodeResult {
  const riffSize = u32le(b, 4);
  let format: WavFormat | null = null;
  let at = 12;
  while (at + 8 <= b.length) {
    const id = ascii(b, at, 4);
    const size = u32le(b, at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      if (body + size > b.length) throw corrupt('truncated: the WAV fmt chunk is cut short');
      format = readWavFormat(b, body, size);
    } else if (id === 'data') {
      if (!format) throw corrupt('WAV data chunk comes before any fmt chunk');
      // Streaming writers cannot know the length: they write 0xFFFFFFFF (or 0 in both sizes),
      // meaning "until the end of the file".
      const unknown = size === UNKNOWN_SIZE || (size === 0 && (riffSize === 0 || riffSize === UNKNOWN_SIZE));
      if (!unknown && body + size > b.length) throw corrupt(`truncated: the WAV data chunk states ${size} bytes, ${b.length - body} are present`);
      const bytes = unknown ? b.length - body : size;
      limit({ frames: Math.floor(bytes / ((format.bits / 8) * format.channels)), channels: format.channels, sampleRate: format.sampleRate });
      return { ...wavSamples(b, body, bytes, format), sourceSampleRate: format.sampleRate };
    }
    // Chunks are padded to even sizes.
    at = body + size + (size & 1);
  }
  throw corrupt(format ? 'truncated: the WAV file has no data chunk' : 'truncated: the WAV file has no fmt chunk');
}

function wavSamples(b: Uint8Array, at: number, bytes: number, f: WavFormat): DecodedAudio {
  const width = f.bits / 8;
  const frameBytes = width * f.channels;
  const frames = Math.floor(bytes / frameBytes);
  if (frames === 0) throw new AudioDecodeError('empty', 'the WAV file holds no samples');
  const view = new DataView(b.buffer, b.byteOffset + at, frames * frameBytes);
  const channels = Array.from({ length: f.channels }, () => new Float32Array(frames));
  const read: (offset: number) => number =
    f.tag === WAVE_FORMAT_IEEE_FLOAT
      ? f.bits === 32
        ? (o) => view.getFloat32(o, true)
        : (o) => view.getFloat64(o, true)
      : f.bits === 8
        ? (o) => (view.getUint8(o) - 128) / 128
        : f.bits === 16
          ? (o) => view.getInt16(o, true) / 32768
          : f.bits === 24
            ? (o) => (view.getUint8(o) | (view.getUint8(o + 1) << 8) | (view.getInt8(o + 2) << 16)) / 8388608
            : (o) => view.getInt32(o, true) / 2147483648;
  for (let i = 0, o = 0; i < frames; i++) {
    for (let c = 0; c < f.channels; c++, o += width) (channels[c] as Float32Array)[i] = read(o);
  }
  if (f.tag === WAVE_FORMAT_IEEE_FLOAT && channels.some((c) => c.some((x) => !Number.isFinite(x)))) {
    throw corrupt('the WAV file contains NaN or infinite float samples');
  }
  return { channels, sampleRate: f.sampleRate };
}

// ---------------------------------------------------------------------------------------------
// MP3

interface MpegHeader {
  /** 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5 */
  version: number;
  sampleRate: number;
  channels: number;
  frameBytes: number;
}

const MPEG1_L3_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG2_L3_KBPS = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const MPEG_RATES: Record<number, readonly number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

/** A Layer III frame header at `at`, or null (free-format and reserved values count as none). */
function parseMpegHeader(b: Uint8Array, at: number): MpegHeader | null {
  if (at + 4 > b.length || b[at] !== 0xff) return null;
  const b1 = b[at + 1] as number;
  const b2 = b[at + 2] as number;
  const b3 = b[at + 3] as number;
  const version = (b1 >> 3) & 3;
  if ((b1 & 0xe0) !== 0xe0 || version === 1 || ((b1 >> 1) & 3) !== 1) return null;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3 || (b3 & 3) === 2) return null;
  const mpeg1 = version === 3;
  const kbps = (mpeg1 ? MPEG1_L3_KBPS : MPEG2_L3_KBPS)[bitrateIndex] as number;
  const sampleRate = (MPEG_RATES[version] as readonly number[])[rateIndex] as number;
  const frameBytes = Math.floor(((mpeg1 ? 144 : 72) * kbps * 1000) / sampleRate) + ((b2 >> 1) & 1);
  return { version, sampleRate, channels: b3 >> 6 === 3 ? 1 : 2, frameBytes };
}

function sameStream(a: MpegHeader, b: MpegHeader | null): boolean {
  return b !== null && b.version === a.version && b.sampleRate === a.sampleRate;
}

/** The frame count a Xing/Info header in the first frame states, if it has one. */
function xingFrameCount(b: Uint8Array, at: number, h: MpegHeader): number | null {
  const sideInfo = h.version === 3 ? (h.channels === 1 ? 17 : 32) : h.channels === 1 ? 9 : 17;
  const x = at + 4 + sideInfo;
  const tag = ascii(b, x, 4);
  if ((tag !== 'Xing' && tag !== 'Info') || x + 12 > b.length) return null;
  return (u32be(b, x + 4) & 1) !== 0 ? u32be(b, x + 8) : null;
}

interface Mp3Scan {
  first: MpegHeader;
  /** Audio frames, not counting a Xing/Info frame. */
  frames: number;
}

function scanMp3(b: Uint8Array, start: number): Mp3Scan {
  if (start > b.length) throw corrupt('truncated: the file ends inside its ID3 tag');
  let end = b.length;
  if (end - start >= 128 && ascii(b, end - 128, 3) === 'TAG') end -= 128; // ID3v1
  const first = parseMpegHeader(b, start);
  if (!first) {
    if (start === end) throw new AudioDecodeError('empty', 'the MP3 file holds no audio frames');
    throw corrupt('no MPEG audio frame follows the ID3 tag');
  }
  const xing = xingFrameCount(b, start, first);
  let frames = 0;
  let at = start;
  while (at < end) {
    const h = parseMpegHeader(b, at);
    if (h && sameStream(first, h)) {
      if (at + h.frameBytes > end) throw corrupt('truncated: the last MP3 frame is cut short');
      frames++;
      at += h.frameBytes;
      continue;
    }
    const tagEnd = id3v2End(b, at);
    if (tagEnd >= 0) {
      // Concatenated files carry their own tags mid-stream.
      if (tagEnd > end) throw corrupt('truncated: the file ends inside an ID3 tag');
      at = tagEnd;
      continue;
    }
    // Junk between frames: mpg123 resynchronises, so we do too; bytes after the last frame
    // (APE or Lyrics tags, padding) are not audio and are ignored.
    let next = -1;
    for (let i = at + 1; i + 4 <= end && next < 0; i++) {
      const c = parseMpegHeader(b, i);
      if (c && sameStream(first, c) && (i + c.frameBytes === end || sameStream(first, parseMpegHeader(b, i + c.frameBytes)))) next = i;
    }
    if (next < 0) break;
    at = next;
  }
  const audioFrames = xing === null ? frames : frames - 1;
  if (xing !== null && audioFrames < xing) throw corrupt(`truncated: the MP3 header announces ${xing} frames, ${audioFrames} are present`);
  return { first, frames: audioFrames };
}

async function decodeMp3(b: Uint8Array, start: number, limit: SizeCheck): Promise<DecodeResult> {
  const scan = scanMp3(b, start);
  if (scan.frames === 0) throw new AudioDecodeError('empty', 'the MP3 file holds no audio frames');
  // Layer III frames hold 1152 samples in MPEG-1, 576 in MPEG-2 and 2.5.
  const frameSamples = scan.first.version === 3 ? 1152 : 576;
  limit({ frames: scan.frames * frameSamples, channels: scan.first.channels, sampleRate: scan.first.sampleRate });
  const decoder = new MPEGDecoder();
  try {
    await decoder.ready;
    const out = decoder.decode(b.subarray(start));
    if (out.errors.length > 0) throw corrupt(`MP3 decoding failed: ${out.errors[0]?.message ?? 'unknown error'}`);
    if (out.samplesDecoded === 0) throw corrupt('the MP3 decoder produced no samples');
    // mpg123 always hands back two channels; a mono file's second one is a copy.
    const channels = out.channelData.slice(0, scan.first.channels);
    return { channels, sampleRate: scan.first.sampleRate, sourceSampleRate: scan.first.sampleRate };
  } finally {
    freeQuietly(() => decoder.free());
  }
}

// ---------------------------------------------------------------------------------------------
// FLAC

const CRC8_TABLE = new Uint8Array(256);
const CRC16_TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let c8 = i;
  let c16 = i << 8;
  for (let k = 0; k < 8; k++) {
    c8 = c8 & 0x80 ? ((c8 << 1) ^ 0x07) & 0xff : (c8 << 1) & 0xff;
    c16 = c16 & 0x8000 ? ((c16 << 1) ^ 0x8005) & 0xffff : (c16 << 1) & 0xffff;
  }
  CRC8_TABLE[i] = c8;
  CRC16_TABLE[i] = c16;
}

interface FlacStreamInfo {
  sampleRate: number;
  channels: number;
  bits: number;
  /** 0 when the encoder did not know it (a streamed file). */
  totalSamples: number;
}

/** A frame header's block size, or null unless a valid header (CRC-8 included) starts at `at`. */
function flacFrameBlockSize(b: Uint8Array, at: number, end: number): number | null {
  if (at + 6 > end || b[at] !== 0xff || ((b[at + 1] as number) & 0xfe) !== 0xf8) return null;
  const blockCode = (b[at + 2] as number) >> 4;
  const rateCode = (b[at + 2] as number) & 15;
  const channelCode = (b[at + 3] as number) >> 4;
  const bitsCode = ((b[at + 3] as number) >> 1) & 7;
  if (blockCode === 0 || rateCode === 15 || channelCode > 10 || bitsCode === 3 || ((b[at + 3] as number) & 1) !== 0) return null;
  let p = at + 4;
  // The frame/sample number, coded like UTF-8 (up to 7 bytes).
  const lead = b[p] as number;
  const extra = lead < 0x80 ? 0 : lead >= 0xc0 && lead < 0xff ? Math.clz32(~(lead << 24)) - 1 : -1;
  if (extra < 0) return null;
  p++;
  for (let i = 0; i < extra; i++, p++) if (p >= end || ((b[p] as number) & 0xc0) !== 0x80) return null;
  let blockSize: number;
  if (blockCode === 1) blockSize = 192;
  else if (blockCode <= 5) blockSize = 576 << (blockCode - 2);
  else if (blockCode === 6) blockSize = (b[p++] as number) + 1;
  else if (blockCode === 7) {
    blockSize = (((b[p] as number) << 8) | (b[p + 1] as number)) + 1;
    p += 2;
  } else blockSize = 256 << (blockCode - 8);
  if (rateCode === 12) p += 1;
  else if (rateCode === 13 || rateCode === 14) p += 2;
  if (p >= end) return null;
  let crc = 0;
  for (let i = at; i < p; i++) crc = CRC8_TABLE[crc ^ (b[i] as number)] as number;
  return crc === b[p] ? blockSize : null;
}

/**
 * Splits the audio frames at verified boundaries: a frame ends where its CRC-16 footer checks
 * out and the next valid frame header (or the end of the data) begins. The library's own
 * splitter merges a tiny final frame (trailing silence) into the one before it and so loses
 * those samples; a frame that never checks out means truncated or damaged data.
 */
function splitFlacFrames(b: Uint8Array, at: number, end: number): { frames: Uint8Array[]; samples: number } {
  const frames: Uint8Array[] = [];
  let samples = 0;
  while (at < end) {
    const blockSize = flacFrameBlockSize(b, at, end);
    if (blockSize === null) throw corrupt(`no valid FLAC frame header at byte ${at}`);
    let crc = 0;
    let next = -1;
    for (let q = at; q < end; q++) {
      crc = ((crc << 8) ^ (CRC16_TABLE[(crc >> 8) ^ (b[q] as number)] as number)) & 0xffff;
      // Running the CRC over a frame including its own CRC-16 leaves zero.
      if (crc === 0 && q + 1 - at > 6 && (q + 1 === end || (b[q + 1] === 0xff && flacFrameBlockSize(b, q + 1, end) !== null))) {
        next = q + 1;
        break;
      }
    }
    if (next < 0) throw corrupt(`truncated or damaged: the FLAC frame at byte ${at} fails its CRC check`);
    frames.push(b.subarray(at, next));
    samples += blockSize;
    at = next;
  }
  return { frames, samples };
}

function readFlacMetadata(b: Uint8Array, start: number): { info: FlacStreamInfo; audioStart: number } {
  let at = start + 4;
  let info: FlacStreamInfo | null = null;
  for (let last = false; !last; ) {
    if (at + 4 > b.length) throw corrupt('truncated: the FLAC metadata is cut short');
    const type = (b[at] as number) & 0x7f;
    last = ((b[at] as number) & 0x80) !== 0;
    const size = ((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number);
    const body = at + 4;
    if (body + size > b.length) throw corrupt('truncated: a FLAC metadata block is cut short');
    if (info === null) {
      if (type !== 0 || size !== 34) throw corrupt('the FLAC stream does not start with STREAMINFO');
      const packed = new DataView(b.buffer, b.byteOffset + body + 10, 8).getBigUint64(0);
      info = {
        sampleRate: Number(packed >> 44n),
        channels: Number((packed >> 41n) & 7n) + 1,
        bits: Number((packed >> 36n) & 31n) + 1,
        totalSamples: Number(packed & 0xfffffffffn),
      };
      if (info.sampleRate === 0) throw corrupt('FLAC STREAMINFO states a sample rate of 0');
    } else if (type === 127) {
      throw corrupt('invalid FLAC metadata block type');
    }
    at = body + size;
  }
  if (!info) throw corrupt('the FLAC stream has no STREAMINFO');
  return { info, audioStart: at };
}

async function decodeFlac(b: Uint8Array, start: number, limit: SizeCheck): Promise<DecodeResult> {
  const { info, audioStart } = readFlacMetadata(b, start);
  let end = b.length;
  if (end - audioStart >= 128 && ascii(b, end - 128, 3) === 'TAG') end -= 128; // ID3v1
  const { frames, samples } = splitFlacFrames(b, audioStart, end);
  if (samples === 0) {
    if (info.totalSamples === 0) throw new AudioDecodeError('empty', 'the FLAC file holds no samples');
    throw corrupt(`truncated: FLAC STREAMINFO announces ${info.totalSamples} samples, the file has no frames`);
  }
  if (info.totalSamples > samples) throw corrupt(`truncated: FLAC STREAMINFO announces ${info.totalSamples} samples, ${samples} are present`);
  // Frame headers carry the block sizes, so this counts what the decoder will really produce.
  limit({ frames: samples, channels: info.channels, sampleRate: info.sampleRate });
  const decoder = new FLACDecoder();
  try {
    await decoder.ready;
    const out = await decoder.decodeFrames(frames);
    if (out.errors.length > 0) throw corrupt(`FLAC decoding failed: ${out.errors[0]?.message ?? 'unknown error'}`);
    if (out.samplesDecoded !== samples || out.channelData.length !== info.channels) {
      throw corrupt(`the FLAC decoder returned ${out.samplesDecoded} samples in ${out.channelData.length} channels, expected ${samples} in ${info.channels}`);
    }
    const bits = out.bitDepth || info.bits;
    // The library divides by 2^(bits-1) - 1; everything else in cosyfleet (int16ToFloat32, the
    // WAV path, ffmpeg) divides by 2^(bits-1). Rescaling keeps a 16-bit FLAC bit-exact.
    const scale = (2 ** (bits - 1) - 1) / 2 ** (bits - 1);
    for (const channel of out.channelData) for (let i = 0; i < channel.length; i++) channel[i] = (channel[i] as number) * scale;
    const sampleRate = out.sampleRate || info.sampleRate;
    return { channels: out.channelData, sampleRate, sourceSampleRate: sampleRate };
  } finally {
    freeQuietly(() => decoder.free());
  }
}

// ---------------------------------------------------------------------------------------------
// Ogg Opus

const ZERO_CRC = new Uint8Array(4);
/** 120 ms at 48 kHz, the longest an Opus packet can be. */
const OPUS_MAX_PACKET_SAMPLES = 5760;

/** Samples (at 48 kHz) one Opus packet decodes to, from its TOC byte (RFC 6716, section 3.1). */
function opusPacketSamples(packet: Uint8Array): number {
  // An empty packet is a lost one: the decoder may conceal up to a whole packet's length.
  if (packet.length === 0) return OPUS_MAX_PACKET_SAMPLES;
  const toc = packet[0] as number;
  const config = toc >> 3;
  const frame = config < 12 ? [480, 960, 1920, 2880][config & 3] : config < 16 ? [480, 960][config & 1] : [120, 240, 480, 960][config & 3];
  const code = toc & 3;
  const frames = code === 0 ? 1 : code < 3 ? 2 : packet.length >= 2 ? (packet[1] as number) & 0x3f : 48;
  return Math.min(OPUS_MAX_PACKET_SAMPLES, (frame as number) * frames);
}

interface OggOpusScan {
  /** Samples the end-of-stream granules announce, after pre-skip. */
  announced: number;
  /** Samples the packets will decode to, counted from their TOC bytes (granules can lie). */
  packetSamples: number;
  channels: number;
  /** OpusHead's input sample rate of the first stream (0 there means unknown: 48000). */
  inputSampleRate: number;
}

/** Walks and CRC-checks every Ogg page; counts what the Opus streams hold. */
function scanOggOpus(b: Uint8Array): OggOpusScan {
  let at = 0;
  let open = false;
  let preSkip = 0;
  let total = 0;
  let lastWasEos = false;
  let packetSamples = 0;
  let channels = 0;
  let inputSampleRate = 0;
  /** Packets seen in the current stream (0: OpusHead, 1: OpusTags, then audio). */
  let packetIndex = 0;
  /** A packet continues onto the next page (its last lacing value was 255). */
  let inPacket = false;
  while (at < b.length) {
    if (at + 27 > b.length) throw corrupt('truncated: an Ogg page header is cut short');
    if (ascii(b, at, 4) !== 'OggS' || b[at + 4] !== 0) throw corrupt(`no Ogg page at byte ${at}`);
    const segments = b[at + 26] as number;
    const bodyStart = at + 27 + segments;
    if (bodyStart > b.length) throw corrupt('truncated: an Ogg page header is cut short');
    let bodyBytes = 0;
    for (let i = at + 27; i < bodyStart; i++) bodyBytes += b[i] as number;
    const end = bodyStart + bodyBytes;
    if (end > b.length) throw corrupt('truncated: the last Ogg page is cut short');
    let crc = oggCrc32(b.subarray(at, at + 22));
    crc = oggCrc32(ZERO_CRC, crc);
    crc = oggCrc32(b.subarray(at + 26, end), crc);
    if (crc !== u32le(b, at + 22)) throw corrupt(`the Ogg page at byte ${at} fails its CRC check`);

    const flags = b[at + 5] as number;
    if (flags & 0x02) {
      // A new stream may only begin after the previous one ended (chaining); interleaved
      // streams (a multiplexed file) are not something ogg-opus-decoder can separate.
      if (open) throw new AudioDecodeError('unrecognized_format', 'multiplexed Ogg streams are not supported');
      if (ascii(b, bodyStart, 8) !== 'OpusHead' || bodyBytes < 19) throw new AudioDecodeError('unrecognized_format', 'a chained Ogg stream is not Opus');
      preSkip = (b[bodyStart + 10] as number) | ((b[bodyStart + 11] as number) << 8);
      channels = Math.max(channels, b[bodyStart + 9] as number);
      if (inputSampleRate === 0) inputSampleRate = u32le(b, bodyStart + 12);
      open = true;
      packetIndex = 0;
      inPacket = false;
    } else if (!open) {
      throw corrupt(`the Ogg page at byte ${at} belongs to no stream`);
    }
    // A page without the continuation flag starts a fresh packet; an unfinished one is dropped.
    let continuing: boolean = inPacket && (flags & 0x01) !== 0;
    let p = bodyStart;
    for (let i = at + 27; i < bodyStart; i++) {
      const lacing = b[i] as number;
      if (!continuing) {
        // The packet starts here; its segments within this page are contiguous.
        if (packetIndex >= 2) packetSamples += opusPacketSamples(b.subarray(p, Math.min(end, p + 2, p + packetBytesFrom(b, i, bodyStart))));
        packetIndex++;
      }
      p += lacing;
      continuing = lacing === 255;
    }
    inPacket = continuing;
    lastWasEos = (flags & 0x04) !== 0;
    if (lastWasEos) {
      // Granules fit in 53 bits for any real recording; the high word scales the low one.
      const granule = u32le(b, at + 6) + u32le(b, at + 10) * 0x1_0000_0000;
      total += Math.max(0, granule - preSkip);
      open = false;
    }
    at = end;
  }
  if (!lastWasEos) throw corrupt('truncated: the Ogg stream has no end-of-stream page');
  return { announced: total, packetSamples, channels: Math.max(1, channels), inputSampleRate };
}

/** Bytes of the packet whose first lacing value is at `i`, within this page. */
function packetBytesFrom(b: Uint8Array, i: number, lacingEnd: number): number {
  let n = 0;
  for (; i < lacingEnd; i++) {
    const lacing = b[i] as number;
    n += lacing;
    if (lacing < 255) break;
  }
  return n;
}

async function decodeOggOpus(b: Uint8Array, limit: SizeCheck): Promise<DecodeResult> {
  const { announced, packetSamples, channels, inputSampleRate } = scanOggOpus(b);
  if (announced === 0) throw new AudioDecodeError('empty', 'the Ogg Opus stream holds no samples');
  limit({ frames: packetSamples, channels, sampleRate: 48000 });
  const decoder = new OggOpusDecoder();
  try {
    await decoder.ready;
    const out = await decoder.decodeFile(b);
    if (out.errors.length > 0) throw corrupt(`Opus decoding failed: ${out.errors[0]?.message ?? 'unknown error'}`);
    if (out.samplesDecoded === 0 || out.channelData.length === 0) throw corrupt('the Opus decoder produced no samples');
    // Fewer samples than the granules announce is legitimate (a stream that starts at a
    // non-zero granule); more than a packet's worth beyond them means the decoder lost track.
    if (out.samplesDecoded > announced + OPUS_MAX_PACKET_SAMPLES) {
      throw corrupt(`the Opus decoder returned ${out.samplesDecoded} samples, the stream announces ${announced}`);
    }
    return { channels: out.channelData, sampleRate: out.sampleRate, sourceSampleRate: inputSampleRate || out.sampleRate };
  } finally {
    freeQuietly(() => decoder.free());
  }
}
