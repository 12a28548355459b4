import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lacingCount, OGG_FLAG_BOS, OGG_FLAG_EOS, oggCrc32, OggPacketPager, OggPageWriter } from './ogg.js';
import { ffmpegGenerate, tempDir } from './test-helpers.js';

let dir: { path: string; remove: () => Promise<void> };
before(async () => {
  dir = await tempDir();
});
after(async () => {
  await dir.remove();
});

interface ParsedPage {
  flags: number;
  granule: bigint;
  serial: number;
  sequence: number;
  crc: number;
  lacing: number[];
  body: Buffer;
  bytes: Buffer;
}

/** Splits an Ogg stream into pages, independently of ogg.ts. */
function parsePages(stream: Buffer): ParsedPage[] {
  const pages: ParsedPage[] = [];
  let at = 0;
  while (at < stream.length) {
    assert.equal(stream.toString('ascii', at, at + 4), 'OggS', `capture pattern at ${at}`);
    assert.equal(stream[at + 4], 0, 'stream structure version');
    const segments = stream[at + 26] as number;
    const lacing = [...stream.subarray(at + 27, at + 27 + segments)];
    const bodyBytes = lacing.reduce((a, b) => a + b, 0);
    const end = at + 27 + segments + bodyBytes;
    assert.ok(end <= stream.length, 'page fits the stream');
    pages.push({
      flags: stream[at + 5] as number,
      granule: stream.readBigInt64LE(at + 6),
      serial: stream.readUInt32LE(at + 14),
      sequence: stream.readUInt32LE(at + 18),
      crc: stream.readUInt32LE(at + 22),
      lacing,
      body: stream.subarray(at + 27 + segments, end),
      bytes: stream.subarray(at, end),
    });
    at = end;
  }
  return pages;
}

/** The CRC a page should carry: computed with its CRC field zeroed. */
function pageCrc(page: Buffer): number {
  const copy = Buffer.from(page);
  copy.writeUInt32LE(0, 22);
  return oggCrc32(copy);
}

describe('oggCrc32', () => {
  it('matches the catalogued check value (CRC-32/CKSUM without the final XOR)', () => {
    // CRC-32/CKSUM (poly 04C11DB7, init 0, unreflected) checks to 0x765E7680 with xorout
    // 0xFFFFFFFF; Ogg uses no final XOR, hence the complement.
    assert.equal(oggCrc32(Buffer.from('123456789', 'ascii')), 0x89a1897f);
    assert.equal(0x89a1897f, (0x765e7680 ^ 0xffffffff) >>> 0);
    assert.equal(oggCrc32(new Uint8Array(0)), 0);
  });

  it('continues across calls', () => {
    const data = Buffer.from('The quick brown fox jumps over the lazy dog');
    assert.equal(oggCrc32(data.subarray(10), oggCrc32(data.subarray(0, 10))), oggCrc32(data));
  });

  it('reproduces the checksum of every page ffmpeg writes', async () => {
    const path = join(dir.path, 'ffmpeg.opus');
    await ffmpegGenerate(['-f', 'lavfi', '-i', 'sine=f=440:r=48000:d=1.5', '-c:a', 'libopus', '-b:a', '24k'], path);
    const pages = parsePages(await readFile(path));
    assert.ok(pages.length >= 3, `${pages.length} pages`);
    for (const page of pages) assert.equal(pageCrc(page.bytes), page.crc, `page ${page.sequence}`);
  });
});

describe('lacingCount', () => {
  it('needs a terminating value below 255, even after an exact multiple of 255', () => {
    assert.equal(lacingCount(0), 1);
    assert.equal(lacingCount(254), 1);
    assert.equal(lacingCount(255), 2);
    assert.equal(lacingCount(510), 3);
    assert.equal(lacingCount(511), 3);
  });
});

describe('OggPageWriter', () => {
  it('writes header fields, lacing, body and a valid CRC', () => {
    const writer = new OggPageWriter(0xdeadbeef);
    const a = Buffer.alloc(255, 1);
    const b = Buffer.alloc(3, 2);
    const bytes = writer.page([a, b], 1234, OGG_FLAG_BOS);
    const [page] = parsePages(bytes);
    assert.ok(page);
    assert.equal(page.flags, OGG_FLAG_BOS);
    assert.equal(page.granule, 1234n);
    assert.equal(page.serial, 0xdeadbeef);
    assert.equal(page.sequence, 0);
    assert.deepEqual(page.lacing, [255, 0, 3]);
    assert.ok(page.body.equals(Buffer.concat([a, b])));
    assert.equal(page.crc, pageCrc(page.bytes));
    assert.equal(writer.pageCount, 1);
  });

  it('numbers pages in order and writes 64-bit granule positions', () => {
    const writer = new OggPageWriter(7);
    writer.page([Buffer.alloc(1)], 0);
    const big = 2 ** 40 + 5;
    const [page] = parsePages(writer.page([Buffer.alloc(1)], big, OGG_FLAG_EOS));
    assert.equal(page?.sequence, 1);
    assert.equal(page?.granule, BigInt(big));
    assert.equal(page?.flags, OGG_FLAG_EOS);
  });

  it('refuses pages whose segment table would overflow, and invalid granules', () => {
    const writer = new OggPageWriter(1);
    assert.throws(() => writer.page([Buffer.alloc(255 * 255)], 0), RangeError);
    assert.throws(() => writer.page([Buffer.alloc(1)], -1), RangeError);
    assert.throws(() => writer.page([Buffer.alloc(1)], 0.5), RangeError);
    // 254 full lacing values plus the terminator: exactly 255 segments still fit.
    assert.doesNotThrow(() => writer.page([Buffer.alloc(255 * 254)], 0));
  });
});

describe('OggPacketPager', () => {
  it('closes a page once it holds the maximum number of packets, when the next one arrives', () => {
    const pager = new OggPacketPager(new OggPageWriter(1), 3);
    const out: Buffer[] = [];
    for (let i = 1; i <= 7; i++) out.push(...pager.add(Buffer.alloc(10, i), i * 960));
    assert.equal(out.length, 2);
    assert.equal(pager.pendingPackets, 1);
    out.push(...pager.flush(OGG_FLAG_EOS, 6500));
    const pages = parsePages(Buffer.concat(out));
    assert.deepEqual(
      pages.map((p) => [p.lacing.length, p.granule, p.flags]),
      [
        [3, 2880n, 0],
        [3, 5760n, 0],
        [1, 6500n, OGG_FLAG_EOS],
      ],
    );
    assert.deepEqual(pager.flush(), [], 'nothing pending, no empty page');
  });

  it('closes a page before its segment table would overflow', () => {
    const pager = new OggPacketPager(new OggPageWriter(1), 1000);
    const out: Buffer[] = [];
    // 600-byte packets take 3 lacing values: 85 fit in 255 segments, the 86th starts a new page.
    for (let i = 0; i < 86; i++) out.push(...pager.add(Buffer.alloc(600), i));
    assert.equal(out.length, 1);
    assert.equal(parsePages(out[0] as Buffer)[0]?.lacing.length, 255);
    assert.throws(() => pager.add(Buffer.alloc(255 * 255), 0), RangeError);
  });
});
