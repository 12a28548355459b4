import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FairQueue, type Queueable } from './fair-queue.js';
import type { Priority } from './job.js';

interface Item extends Queueable {
  name: string;
}
const item = (name: string, owner: string, priority: Priority, job: number, segment = 0): Item => ({ name, owner, priority, order: [job, segment] });
const drain = (q: FairQueue<Item>) => {
  const out: string[] = [];
  for (let i = q.shift(); i; i = q.shift()) out.push(i.name);
  return out;
};

describe('FairQueue', () => {
  it('serves every interactive item before any batch item', () => {
    const q = new FairQueue<Item>();
    q.push(item('b1', 'o', 'batch', 1));
    q.push(item('i1', 'o', 'interactive', 2));
    q.push(item('b2', 'o', 'batch', 3));
    q.push(item('i2', 'o', 'interactive', 4));
    assert.deepEqual(drain(q), ['i1', 'i2', 'b1', 'b2']);
  });

  it('takes owners in turn, so a busy owner cannot starve a quiet one', () => {
    const q = new FairQueue<Item>();
    for (let j = 1; j <= 5; j++) q.push(item(`a${j}`, 'alice', 'batch', j));
    q.push(item('b1', 'bob', 'batch', 6));
    q.push(item('b2', 'bob', 'batch', 7));
    const order = drain(q);
    assert.deepEqual(order.slice(0, 4).sort(), ['a1', 'a2', 'b1', 'b2'], order.join(','));
    assert.deepEqual(order, ['b1', 'a1', 'b2', 'a2', 'a3', 'a4', 'a5']);
  });

  it('puts the next segment of an older job before a newer job of the same owner', () => {
    const q = new FairQueue<Item>();
    q.push(item('new job', 'o', 'interactive', 9, 0));
    q.push(item('old job, segment 3', 'o', 'interactive', 2, 3));
    assert.deepEqual(drain(q), ['old job, segment 3', 'new job']);
  });

  it('removes an item wherever it waits and keeps its size', () => {
    const q = new FairQueue<Item>();
    const x = item('x', 'a', 'batch', 1);
    const y = item('y', 'b', 'batch', 2);
    q.push(x);
    q.push(y);
    assert.equal(q.size, 2);
    assert.equal(q.remove(x), true);
    assert.equal(q.remove(x), false);
    assert.equal(q.size, 1);
    assert.equal(q.sizeOf('batch'), 1);
    assert.deepEqual(drain(q), ['y']);
    assert.equal(q.size, 0);
  });
});
