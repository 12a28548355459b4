// A minimal Ogg page writer (RFC 3533) for single-stream, unmultiplexed output.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let b = 0; b < 8; b++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32: polynomial 0x04c11db7, MSB first, initial value 0, no final XOR. */
export function oggCrc32(data: Uint8Array, crc = 0): number {
  for (let i = 0; i < data.length; i++) {
    crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ (data[i] as number)) & 0xff] as number)) >>> 0;
  }
  return crc;
}

export const OGG_FLAG_CONTINUED = 0x01;
export const OGG_FLAG_BOS = 0x02;
export const OGG_FLAG_EOS = 0x04;
/** A page's segment table has one byte per segment, so at most 255 segments. */
export const OGG_MAX_SEGMENTS = 255;
const OGG_HEADER_BYTES = 27;

/** Lacing values a packet needs: one per full 255 bytes plus a terminating value below 255. */
export function lacingCount(packetBytes: number): number {
  return Math.floor(packetBytes / 255) + 1;
}

/** Writes the pages of one logical stream, numbering them in order. */
export class OggPageWriter {
  private sequence = 0;

  constructor(readonly serial: number) {}

  /** Pages written so far. */
  get pageCount(): number {
    return this.sequence;
  }

  /**
   * One page holding exactly `packets`, each complete on this page. `granule` is the codec's
   * position after the last packet on the page.
   */
  page(packets: readonly Uint8Array[], granule: number, flags = 0): Buffer {
    let segments = 0;
    let bodyBytes = 0;
    for (const p of packets) {
      segments += lacingCount(p.length);
      bodyBytes += p.length;
    }
    if (segments > OGG_MAX_SEGMENTS) throw new RangeError(`ogg page needs ${segments} segments; at most ${OGG_MAX_SEGMENTS} fit`);
    if (!Number.isSafeInteger(granule) || granule < 0) throw new RangeError(`invalid ogg granule position ${granule}`);

    const page = Buffer.alloc(OGG_HEADER_BYTES + segments + bodyBytes);
    page.write('OggS', 0, 'ascii');
    page[4] = 0; // stream structure version
    page[5] = flags;
    page.writeUInt32LE(granule % 0x1_0000_0000, 6);
    page.writeUInt32LE(Math.floor(granule / 0x1_0000_0000), 10);
    page.writeUInt32LE(this.serial >>> 0, 14);
    page.writeUInt32LE(this.sequence++, 18);
    // bytes 22..25 (CRC) stay zero while the checksum is computed
    page[26] = segments;
    let at = OGG_HEADER_BYTES;
    for (const p of packets) {
      let left = p.length;
      while (left >= 255) {
        page[at++] = 255;
        left -= 255;
      }
      page[at++] = left;
    }
    for (const p of packets) {
      page.set(p, at);
      at += p.length;
    }
    page.writeUInt32LE(oggCrc32(page), 22);
    return page;
  }
}

interface PendingPacket {
  data: Uint8Array;
  granule: number;
}

/**
 * Groups packets into pages: a page is closed when the next packet would not fit in its
 * segment table or when it holds `maxPacketsPerPage` packets, and on demand (flush).
 */
export class OggPacketPager {
  private pending: PendingPacket[] = [];
  private segments = 0;

  constructor(
    private readonly writer: OggPageWriter,
    private readonly maxPacketsPerPage: number,
  ) {}

  get pendingPackets(): number {
    return this.pending.length;
  }

  /**
   * Queues a packet ending at `granule`; returns the page this closed, if any. A full page is
   * closed only when the next packet arrives, so the newest packet is always still pending and
   * a final flush() (EOS, trimmed granule) has one to carry.
   */
  add(data: Uint8Array, granule: number): Buffer[] {
    const lacing = lacingCount(data.length);
    if (lacing > OGG_MAX_SEGMENTS) throw new RangeError(`packet of ${data.length} bytes does not fit one ogg page`);
    const full = this.pending.length >= this.maxPacketsPerPage || this.segments + lacing > OGG_MAX_SEGMENTS;
    const out = full ? [this.closePage(0)] : [];
    this.pending.push({ data, granule });
    this.segments += lacing;
    return out;
  }

  /**
   * Closes a page with everything pending (none if nothing is). `granule` overrides the last
   * packet's position: Opus uses it on the final page to trim end padding.
   */
  flush(flags = 0, granule?: number): Buffer[] {
    if (this.pending.length === 0) return [];
    return [this.closePage(flags, granule)];
  }

  private closePage(flags: number, granule?: number): Buffer {
    const last = this.pending[this.pending.length - 1] as PendingPacket;
    const page = this.writer.page(
      this.pending.map((p) => p.data),
      granule ?? last.granule,
      flags,
    );
    this.pending = [];
    this.segments = 0;
    return page;
  }
}
