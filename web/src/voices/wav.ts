// WAV in the browser: a recording (mono float samples) encoded as 16-bit PCM, the format every
// decoder reads and the server normalizes without loss; and the few header facts of a chosen
// file (its rate) that put a number into the sample-rate verdict before anything is uploaded.

/** Mono 16-bit PCM WAV of `blocks` (float samples in [-1, 1], clamped), in order. */
export function encodeWav(blocks: readonly Float32Array[], sampleRate: number): Uint8Array<ArrayBuffer> {
  const frames = blocks.reduce((n, b) => n + b.length, 0);
  const dataBytes = frames * 2;
  const bytes = new Uint8Array(44 + dataBytes);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) view.setUint8(offset + i, text.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  let offset = 44;
  for (const block of blocks) {
    for (const sample of block) {
      const s = Math.max(-1, Math.min(1, Number.isNaN(sample) ? 0 : sample));
      // Asymmetric scale: -1 → -32768 and +1 → 32767, both exactly representable.
      view.setInt16(offset, s < 0 ? Math.round(s * 32768) : Math.round(s * 32767), true);
      offset += 2;
    }
  }
  return bytes;
}

/** The sample rate in a RIFF/WAVE header's fmt chunk, or null when `bytes` do not start a WAV file. */
export function wavSampleRate(bytes: Uint8Array): number | null {
  if (bytes.length < 12) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (offset: number) => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return null;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const size = view.getUint32(offset + 4, true);
    if (tag(offset) === 'fmt ') return offset + 16 <= bytes.length ? view.getUint32(offset + 12, true) : null;
    offset += 8 + size + (size % 2);
  }
  return null;
}
