// Joins the audio of consecutive segments into one stream. Each engine call pads its speech with
// quiet of its own at both ends (a GPU model often a few hundred ms), which would add to the
// pause we choose between segments (src/text/joins.ts) and leave an audible hole where a
// sentence had to be cut. Between two segments that both have sound, the quiet after the last
// loud sample of the first and before the first loud sample of the second is cut down to a
// margin (a short quiet is left alone: it is part of how the words end and begin), then either
// the chosen silence goes between them (each side faded, so no click), or, for a pause of none,
// the two overlap in a short linear crossfade. The edges of the whole stream (before the first
// segment, after the last) and segments with no loud sample at all are never trimmed.
//
// Streaming: audio leaves as it arrives, except what a join may still change: the quiet run
// after the last loud sample plus the crossfade's length before it, and a segment's head until
// its first loud sample (and a crossfade's worth after it) has arrived.

/** Joined audio: samples, or a count of silent samples (a pause, left for the caller to write). */
export type JoinedAudio = Float32Array | number;

export interface JoinerOptions {
  /** A sample whose magnitude is below this is quiet. */
  readonly quiet: number;
  /** Most quiet kept on each side of a join (samples). */
  readonly margin: number;
  /** Fade out and in on each side of a pause (samples). */
  readonly fade: number;
  /** Overlap of a crossfade (samples). */
  readonly crossfade: number;
}

export interface Join {
  /** Silence between the segments (samples). */
  readonly pause: number;
  /** Overlap the segments instead (used with pause 0). */
  readonly crossfade: boolean;
}

const EMPTY = new Float32Array(0);

function concat(a: Float32Array, b: Float32Array): Float32Array {
  if (a.length === 0) return b.slice();
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export class SegmentJoiner {
  /** The unsent end of the segment before the current one, or of the current one once it is joined. */
  private tail: Float32Array = EMPTY;
  /** The segment whose audio is in `tail` has had a loud sample. */
  private tailLoud = false;
  /** In `tail`: just after its last loud sample (when tailLoud). */
  private tailLoudEnd = 0;
  /** The current segment's audio while its join is pending (null: no join pending). */
  private head: Float32Array | null = null;
  /** In `head`: its first loud sample; -1 until one arrives. */
  private headLoud = -1;
  private join: Join = { pause: 0, crossfade: false };
  /** Samples of the current segment's fade-in already applied (fade: done), whatever its chunks. */
  private risen = Number.POSITIVE_INFINITY;
  /** A segment with audio came before the current one. */
  private started = false;

  constructor(private readonly options: JoinerOptions) {}

  /**
   * The next segment's audio begins (call it with its first samples, not for a segment that has
   * none); `join` says how it meets the audio before it.
   */
  begin(join: Join): JoinedAudio[] {
    const out: JoinedAudio[] = [];
    if (this.head) out.push(...this.resolve());
    if (!this.started) {
      this.started = true;
      return out;
    }
    if (!this.tailLoud) {
      // Nothing loud before: that segment's audio stands as it is, then the pause.
      if (this.tail.length > 0) out.push(this.tail);
      if (join.pause > 0) out.push(join.pause);
      this.tail = EMPTY;
      return out;
    }
    this.join = join;
    this.head = EMPTY;
    this.headLoud = -1;
    return out;
  }

  /** Audio of the current segment; returns what can be sent now. */
  push(samples: Float32Array): JoinedAudio[] {
    if (samples.length === 0) return [];
    if (!this.head) return this.body(samples);
    const at = this.head.length;
    this.head = concat(this.head, samples);
    if (this.headLoud < 0) {
      const first = this.firstLoud(samples);
      if (first >= 0) this.headLoud = at + first;
    }
    if (this.headLoud < 0) return [];
    const start = Math.max(0, this.headLoud - this.options.margin);
    if (this.join.crossfade && this.head.length - start < this.options.crossfade) return [];
    return this.resolve();
  }

  /** No more segments: everything still held, the last segment's end untrimmed. */
  finish(): JoinedAudio[] {
    const out: JoinedAudio[] = [];
    if (this.head) out.push(...this.resolve());
    if (this.tail.length > 0) out.push(this.tail);
    this.tail = EMPTY;
    this.tailLoud = false;
    return out;
  }

  /** Joins the pending head to the tail before it (the head has its first loud sample, or has ended). */
  private resolve(): JoinedAudio[] {
    const head = this.head as Float32Array;
    this.head = null;
    const { margin, fade: fadeLength, crossfade } = this.options;
    const out: JoinedAudio[] = [];
    if (this.headLoud < 0) {
      // The segment ended with nothing loud: no trimming on either side.
      if (this.tail.length > 0) out.push(this.tail);
      if (this.join.pause > 0) out.push(this.join.pause);
      if (head.length > 0) out.push(head);
      this.tail = EMPTY;
      this.tailLoud = false;
      return out;
    }
    const a = this.tail.subarray(0, Math.min(this.tail.length, this.tailLoudEnd + margin));
    const bStart = Math.max(0, this.headLoud - margin);
    const b = head.subarray(bStart);
    if (this.join.crossfade) {
      const n = Math.min(crossfade, a.length, b.length);
      for (let k = 0; k < n; k++) {
        const w = (k + 0.5) / n;
        b[k] = (a[a.length - n + k] as number) * (1 - w) + (b[k] as number) * w;
      }
      if (a.length > n) out.push(a.subarray(0, a.length - n));
    } else {
      const fade = Math.min(fadeLength, a.length);
      for (let k = 0; k < fade; k++) a[a.length - 1 - k] = (a[a.length - 1 - k] as number) * ((k + 0.5) / fade);
      this.risen = 0;
      out.push(a);
      if (this.join.pause > 0) out.push(this.join.pause);
    }
    this.tail = EMPTY;
    this.tailLoud = false;
    out.push(...this.body(b));
    return out;
  }

  /** Audio of a segment already joined: sends all but what the next join may trim or overlap. */
  private body(samples: Float32Array): JoinedAudio[] {
    const at = this.tail.length;
    this.tail = at === 0 ? samples.slice() : concat(this.tail, samples);
    const fade = this.options.fade;
    for (let k = 0; this.risen < fade && k < samples.length; k++, this.risen++) {
      this.tail[at + k] = (this.tail[at + k] as number) * ((this.risen + 0.5) / fade);
    }
    const last = this.lastLoud(samples);
    if (last >= 0) {
      this.tailLoud = true;
      this.tailLoudEnd = at + last + 1;
    }
    // Before anything loud, quiet is the segment's own start: never trimmed.
    const keepFrom = this.tailLoud ? Math.max(0, this.tailLoudEnd - this.options.crossfade) : this.tail.length;
    if (keepFrom === 0) return [];
    const sent = this.tail.subarray(0, keepFrom);
    this.tail = this.tail.subarray(keepFrom);
    this.tailLoudEnd -= keepFrom;
    return [sent];
  }

  private firstLoud(x: Float32Array): number {
    const q = this.options.quiet;
    for (let i = 0; i < x.length; i++) if (Math.abs(x[i] as number) >= q) return i;
    return -1;
  }

  private lastLoud(x: Float32Array): number {
    const q = this.options.quiet;
    for (let i = x.length - 1; i >= 0; i--) if (Math.abs(x[i] as number) >= q) return i;
    return -1;
  }
}
