// The last minutes of admission, one bucket per minute, for the studio's Fleet page
// (GET /v1/admin/fleet): how deep the queue got, how many jobs were admitted and how many were
// refused with 429 at admission. Prometheus keeps the same numbers for dashboards; this keeps a
// short window in memory so the page needs no Prometheus to draw them. A fixed ring of buckets:
// memory does not grow with traffic or uptime, and a quiet minute costs nothing (it is
// reconstructed when read: no admission, the queue as it was).
import { REJECTIONS, type Priority, type Rejection, type SchedulerObserver } from '../scheduler/job.js';

export const MINUTE_MS = 60_000;

export interface MinuteSample {
  /** The minute's start (ISO 8601, UTC). */
  readonly start: string;
  readonly admitted: number;
  /** Admission refusals (429) by reason. */
  readonly rejected: Readonly<Record<Rejection, number>>;
  /** Segments waiting for an engine slot: the most at any moment of the minute, and at its end (or now). */
  readonly queue: { readonly max: number; readonly last: number };
}

interface Bucket {
  minute: number;
  admitted: number;
  rejected: Record<Rejection, number>;
  /** The depth when the minute's first event came: what it was through the quiet minutes before. */
  queueStart: number;
  queueMax: number;
  queueLast: number;
}

const noRejections = (): Record<Rejection, number> => Object.fromEntries(REJECTIONS.map((r) => [r, 0])) as Record<Rejection, number>;

export class FleetHistory {
  private readonly ring: (Bucket | undefined)[];
  private depth = 0;

  constructor(
    /** How many minutes are kept (the most a read can ask for). */
    readonly capacity = 60,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, not ${capacity}`);
    this.ring = new Array<Bucket | undefined>(capacity);
  }

  /** The scheduler events this keeps (Scheduler.observe). */
  observer(): SchedulerObserver {
    return {
      admitted: () => void this.bucket().admitted++,
      rejected: (reason) => void this.bucket().rejected[reason]++,
      queue: (depth) => this.queue(depth),
    };
  }

  /** The last `minutes` minutes (at most `capacity`), oldest first; the last one is the current, still open minute. */
  minutes(minutes = this.capacity): MinuteSample[] {
    const count = Math.min(Math.max(1, Math.floor(minutes)), this.capacity);
    const current = Math.floor(this.now() / MINUTE_MS);
    const out: MinuteSample[] = [];
    // Newest first: a minute without events had the depth the next recorded minute started with
    // (nothing changed it), and the quiet minutes since the last event have today's depth.
    let carry = this.depth;
    for (let minute = current; minute > current - count; minute--) {
      const bucket = this.ring[this.slot(minute)];
      const start = new Date(minute * MINUTE_MS).toISOString();
      if (bucket?.minute === minute) {
        out.push({ start, admitted: bucket.admitted, rejected: { ...bucket.rejected }, queue: { max: bucket.queueMax, last: bucket.queueLast } });
        carry = bucket.queueStart;
      } else {
        out.push({ start, admitted: 0, rejected: noRejections(), queue: { max: carry, last: carry } });
      }
    }
    return out.reverse();
  }

  private queue(depth: Readonly<Record<Priority, number>>): void {
    const total = Object.values(depth).reduce((a, b) => a + b, 0);
    const bucket = this.bucket();
    this.depth = total;
    bucket.queueLast = total;
    bucket.queueMax = Math.max(bucket.queueMax, total);
  }

  /** This minute's bucket, replacing whatever minute last used its slot. */
  private bucket(): Bucket {
    const minute = Math.floor(this.now() / MINUTE_MS);
    const slot = this.slot(minute);
    const existing = this.ring[slot];
    // A clock stepped back counts into the newer minute rather than erase it.
    if (existing !== undefined && existing.minute >= minute) return existing;
    const fresh: Bucket = { minute, admitted: 0, rejected: noRejections(), queueStart: this.depth, queueMax: this.depth, queueLast: this.depth };
    this.ring[slot] = fresh;
    return fresh;
  }

  private slot(minute: number): number {
    return ((minute % this.capacity) + this.capacity) % this.capacity;
  }
}
