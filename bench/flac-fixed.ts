// A minimal FLAC encoder for bench/codecs.ts, to measure what a hand-written one would cost
// against libflac.js: 16-bit mono, fixed blocks of 4096, FLAC's fixed polynomial predictors
// (orders 0-4, the best per block), partitioned Rice coding. No LPC, so files come out a few
// percent larger than libFLAC's level 5; the bench reports sizes beside times. A streaming
// encoder: STREAMINFO says "total samples unknown", like src/audio/flac.ts in streaming mode.
// A measurement, not a production module: the bench checks its output decodes bit-exactly.
import { floatToInt16Sample } from '../src/audio/pcm.js';

const BLOCK = 4096;
const MAX_PARTITION_ORDER = 5;

const CRC8 = new Uint8Array(256);
const CRC16 = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let b = 0; b < 8; b++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
  CRC8[i] = c;
  let d = i << 8;
  for (let b = 0; b < 8; b++) d = d & 0x8000 ? ((d << 1) ^ 0x8005) & 0xffff : (d << 1) & 0xffff;
  CRC16[i] = d;
}

class BitWriter {
  buf = new Uint8Array(1 << 16);
  pos = 0;
  private acc = 0;
  private bits = 0;

  /** Writes the low `n` bits of `v` (n <= 24). */
  write(v: number, n: number): void {
    this.acc = ((this.acc << n) | (v & ((1 << n) - 1))) >>> 0;
    this.bits += n;
    while (this.bits >= 8) {
      this.bits -= 8;
      this.byte((this.acc >>> this.bits) & 0xff);
    }
    this.acc &= (1 << this.bits) - 1;
  }

  /** `q` zeros then a one. */
  unary(q: number): void {
    while (q >= 16) {
      this.write(0, 16);
      q -= 16;
    }
    this.write(1, q + 1);
  }

  align(): void {
    if (this.bits > 0) this.write(0, 8 - this.bits);
  }

  private byte(b: number): void {
    if (this.pos === this.buf.length) {
      const grown = new Uint8Array(this.buf.length * 2);
      grown.set(this.buf);
      this.buf = grown;
    }
    this.buf[this.pos++] = b;
  }
}

function streamInfo(rate: number): Uint8Array {
  const w = new BitWriter();
  for (const c of 'fLaC') w.write(c.charCodeAt(0), 8);
  w.write(1, 1); // last metadata block
  w.write(0, 7); // STREAMINFO
  w.write(34, 24);
  w.write(BLOCK, 16);
  w.write(BLOCK, 16);
  w.write(0, 24); // min frame size unknown
  w.write(0, 24); // max frame size unknown
  w.write(rate, 20);
  w.write(0, 3); // mono
  w.write(15, 5); // 16 bits per sample
  w.write(0, 4); // total samples: unknown (36 bits)
  w.write(0, 16);
  w.write(0, 16);
  for (let i = 0; i < 16; i++) w.write(0, 8); // no MD5
  return w.buf.slice(0, w.pos);
}

export class FixedFlacEncoder {
  private pending = new Int32Array(BLOCK);
  private fill = 0;
  private frame = 0;
  private started = false;
  private readonly best = new Int32Array(BLOCK);

  constructor(private readonly rate: number) {}

  write(x: Float32Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (!this.started) {
      this.started = true;
      out.push(streamInfo(this.rate));
    }
    for (let i = 0; i < x.length; i++) {
      this.pending[this.fill++] = floatToInt16Sample(x[i] as number);
      if (this.fill === BLOCK) out.push(this.encodeFrame(BLOCK));
    }
    return out;
  }

  end(): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (!this.started) out.push(streamInfo(this.rate));
    this.started = true;
    if (this.fill > 0) out.push(this.encodeFrame(this.fill));
    return out;
  }

  private encodeFrame(n: number): Uint8Array {
    const s = this.pending;
    const w = new BitWriter();
    w.write(0xfff8, 16); // sync, fixed block size
    w.write(n === BLOCK ? 12 : 7, 4); // 4096, or a 16-bit size at the end of the header
    w.write(0, 4); // sample rate from STREAMINFO
    w.write(0, 4); // mono
    w.write(4, 3); // 16 bits per sample
    w.write(0, 1);
    utf8(w, this.frame++);
    if (n !== BLOCK) w.write(n - 1, 16);
    let crc = 0;
    for (let i = 0; i < w.pos; i++) crc = CRC8[crc ^ (w.buf[i] as number)] as number;
    w.write(crc, 8);

    // The fixed predictor with the smallest sum of |residual|: order k's residual is the k-th
    // difference of the signal, so one pass gives all five sums (orders above n - 1 cannot warm up).
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let d1p = 0;
    let d2p = 0;
    let d3p = 0;
    for (let i = 0; i < n; i++) {
      const x0 = s[i] as number;
      const d1 = i > 0 ? x0 - (s[i - 1] as number) : 0;
      const d2 = d1 - d1p;
      const d3 = d2 - d2p;
      const d4 = d3 - d3p;
      s0 += x0 < 0 ? -x0 : x0;
      if (i >= 1) s1 += d1 < 0 ? -d1 : d1;
      if (i >= 2) s2 += d2 < 0 ? -d2 : d2;
      if (i >= 3) s3 += d3 < 0 ? -d3 : d3;
      if (i >= 4) s4 += d4 < 0 ? -d4 : d4;
      d1p = d1;
      d2p = d2;
      d3p = d3;
    }
    const sums = [s0, s1, s2, s3, s4];
    let order = 0;
    for (let o = 1; o <= Math.min(4, n - 1); o++) if ((sums[o] as number) < (sums[order] as number)) order = o;
    for (let i = order; i < n; i++) this.best[i] = residual(s, i, order);
    w.write(0, 1);
    w.write(8 | order, 6); // SUBFRAME_FIXED
    w.write(0, 1); // no wasted bits
    for (let i = 0; i < order; i++) w.write(s[i] as number, 16);
    rice(w, this.best, order, n);
    w.align();
    let crc16 = 0;
    for (let i = 0; i < w.pos; i++) crc16 = ((crc16 << 8) & 0xffff) ^ (CRC16[(crc16 >> 8) ^ (w.buf[i] as number)] as number);
    w.write(crc16, 16);
    this.fill = 0;
    return w.buf.slice(0, w.pos);
  }
}

function residual(s: Int32Array, i: number, order: number): number {
  const x0 = s[i] as number;
  switch (order) {
    case 0:
      return x0;
    case 1:
      return x0 - (s[i - 1] as number);
    case 2:
      return x0 - 2 * (s[i - 1] as number) + (s[i - 2] as number);
    case 3:
      return x0 - 3 * (s[i - 1] as number) + 3 * (s[i - 2] as number) - (s[i - 3] as number);
    default:
      return x0 - 4 * (s[i - 1] as number) + 6 * (s[i - 2] as number) - 4 * (s[i - 3] as number) + (s[i - 4] as number);
  }
}

/** FLAC's UTF-8-like coding of the frame number. */
function utf8(w: BitWriter, v: number): void {
  if (v < 0x80) {
    w.write(v, 8);
    return;
  }
  const more = v < 0x800 ? 1 : v < 0x10000 ? 2 : v < 0x200000 ? 3 : v < 0x4000000 ? 4 : 5;
  w.write(((0xff << (7 - more)) & 0xff) | (v >>> (6 * more)), 8);
  for (let i = more - 1; i >= 0; i--) w.write(0x80 | ((v >>> (6 * i)) & 0x3f), 8);
}

/** Partitioned Rice: the partition order and per-partition parameters that minimise an estimate of the bits. */
function rice(w: BitWriter, r: Int32Array, order: number, n: number): void {
  let bestOrder = 0;
  let bestBits = Infinity;
  let bestParams: number[] = [];
  for (let p = 0; p <= MAX_PARTITION_ORDER; p++) {
    if (n % (1 << p) !== 0 || n >> p <= order) break;
    const size = n >> p;
    let bits = 0;
    const params: number[] = [];
    for (let part = 0; part < 1 << p; part++) {
      const from = part === 0 ? order : part * size;
      const to = (part + 1) * size;
      let sum = 0;
      for (let i = from; i < to; i++) {
        const v = r[i] as number;
        sum += v < 0 ? -2 * v - 1 : 2 * v;
      }
      const count = to - from;
      let k = 0;
      while (k < 14 && count << (k + 1) <= sum) k++;
      params.push(k);
      bits += 4 + count * (k + 1) + Math.floor(sum / 2 ** k);
    }
    if (bits < bestBits) {
      bestBits = bits;
      bestOrder = p;
      bestParams = params;
    }
  }
  w.write(0, 2); // Rice, 4-bit parameters
  w.write(bestOrder, 4);
  const size = n >> bestOrder;
  for (let part = 0; part < 1 << bestOrder; part++) {
    const k = bestParams[part] as number;
    w.write(k, 4);
    const from = part === 0 ? order : part * size;
    const to = (part + 1) * size;
    for (let i = from; i < to; i++) {
      const v = r[i] as number;
      const u = v < 0 ? -2 * v - 1 : 2 * v;
      w.unary(u >>> k);
      if (k > 0) w.write(u & ((1 << k) - 1), k);
    }
  }
}
