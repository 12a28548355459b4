// The scheduler's waiting line: priority classes first (interactive before batch), then
// round-robin between owners within a class, then per owner the oldest job first (so the next
// segment of a job already streaming goes before a job that has not started).
import { PRIORITIES, type Priority } from './job.js';

export interface Queueable {
  readonly owner: string;
  readonly priority: Priority;
  /** Lower goes first within an owner: [job sequence, segment index]. */
  readonly order: readonly [number, number];
}

interface Lane<T> {
  /** Owners with waiting items, in rotation order. */
  owners: string[];
  byOwner: Map<string, T[]>;
  /** Index into owners of the next owner to serve. */
  next: number;
}

export class FairQueue<T extends Queueable> {
  private readonly lanes = new Map<Priority, Lane<T>>(PRIORITIES.map((p) => [p, { owners: [], byOwner: new Map(), next: 0 }]));
  private count = 0;

  get size(): number {
    return this.count;
  }

  sizeOf(priority: Priority): number {
    let n = 0;
    for (const items of this.lane(priority).byOwner.values()) n += items.length;
    return n;
  }

  push(item: T): void {
    const lane = this.lane(item.priority);
    let items = lane.byOwner.get(item.owner);
    if (!items) {
      items = [];
      lane.byOwner.set(item.owner, items);
      // A new owner is served next: it has had nothing in this round yet.
      lane.owners.splice(lane.next, 0, item.owner);
    }
    let at = items.length;
    while (at > 0 && before(item, items[at - 1] as T)) at--;
    items.splice(at, 0, item);
    this.count++;
  }

  /** The next item by policy, removed. */
  shift(): T | undefined {
    for (const priority of PRIORITIES) {
      const lane = this.lane(priority);
      if (lane.owners.length === 0) continue;
      const owner = lane.owners[lane.next % lane.owners.length] as string;
      const items = lane.byOwner.get(owner) as T[];
      const item = items.shift() as T;
      this.count--;
      if (items.length === 0) this.dropOwner(lane, owner);
      else lane.next = (lane.next + 1) % lane.owners.length;
      return item;
    }
    return undefined;
  }

  remove(item: T): boolean {
    const lane = this.lane(item.priority);
    const items = lane.byOwner.get(item.owner);
    const at = items?.indexOf(item) ?? -1;
    if (!items || at < 0) return false;
    items.splice(at, 1);
    this.count--;
    if (items.length === 0) this.dropOwner(lane, item.owner);
    return true;
  }

  *[Symbol.iterator](): Generator<T> {
    for (const priority of PRIORITIES) for (const items of this.lane(priority).byOwner.values()) yield* items;
  }

  private lane(priority: Priority): Lane<T> {
    return this.lanes.get(priority) as Lane<T>;
  }

  private dropOwner(lane: Lane<T>, owner: string): void {
    const at = lane.owners.indexOf(owner);
    lane.byOwner.delete(owner);
    lane.owners.splice(at, 1);
    if (at < lane.next) lane.next--;
    lane.next = lane.owners.length === 0 ? 0 : lane.next % lane.owners.length;
  }
}

function before(a: Queueable, b: Queueable): boolean {
  return a.order[0] < b.order[0] || (a.order[0] === b.order[0] && a.order[1] < b.order[1]);
}
