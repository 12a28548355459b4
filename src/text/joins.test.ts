// The join between two segments follows the punctuation that ends the first (and a line break
// between them): the pause each join gets, and the joins planning gives plain text.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EspeakEngine } from '../engines/espeak/engine.js';
import { pauseMs, planText, segmentJoin } from '../services/synthesis.js';
import { joinAfter, joinPauseMs } from './joins.js';

describe('joinAfter', () => {
  it('reads the punctuation at the end, past closing quotes, brackets, markup and spaces', () => {
    assert.equal(joinAfter('It ends here.'), 'sentence');
    assert.equal(joinAfter('Really?! '), 'sentence');
    assert.equal(joinAfter('He said "no."'), 'sentence');
    assert.equal(joinAfter('他说：“好！”'), 'sentence');
    assert.equal(joinAfter('你好。'), 'sentence');
    assert.equal(joinAfter('Wait for it…'), 'sentence');
    assert.equal(joinAfter('<strong>Bold.</strong>'), 'sentence');
    assert.equal(joinAfter('first, second,'), 'clause');
    assert.equal(joinAfter('a list:'), 'clause');
    assert.equal(joinAfter('首先，'), 'clause');
    assert.equal(joinAfter('and then —'), 'clause');
    assert.equal(joinAfter('a sentence cut in the middle of'), 'word');
    assert.equal(joinAfter('(an aside)'), 'word');
  });

  it('a line break between the segments is a paragraph end, whatever the punctuation', () => {
    assert.equal(joinAfter('The end.', '\n\n'), 'paragraph');
    assert.equal(joinAfter('A heading', ' \n'), 'paragraph');
    assert.equal(joinAfter('The end.', '  '), 'sentence');
  });
});

describe('joinPauseMs', () => {
  it('scales from SEGMENT_GAP_MS: a paragraph 3x, a sentence 1x, a clause half, a cut none', () => {
    assert.deepEqual(
      (['paragraph', 'sentence', 'clause', 'word', 'break'] as const).map((j) => joinPauseMs(j, 120)),
      [360, 120, 60, 0, 120],
    );
    assert.equal(joinPauseMs('clause', 0), 0);
  });
});

describe('planning plain text', () => {
  const engine = new EspeakEngine({ workers: 1 });
  before(() => engine.start());
  after(() => engine.close());
  const config = { maxTextChars: 5000, maxSegmentChars: 60, segmentGapMs: 100 };

  it('gives each join the pause of its punctuation; pauses stay 0 at the edges', async () => {
    const text = [
      'A first paragraph that ends here.',
      'The second paragraph has a clause that goes on, and then a sentence too long for one segment that has to be cut somewhere in its middle.',
    ].join('\n');
    const plan = await planText(engine, config, { text, language: 'en' }, 'r');
    assert.deepEqual(plan.segments, [
      'A first paragraph that ends here.',
      'The second paragraph has a clause that goes on,',
      'and then a sentence too long for one segment that has to be',
      'cut somewhere in its middle.',
    ]);
    assert.deepEqual(plan.joins, ['paragraph', 'clause', 'word']);
    assert.equal(plan.pauses, undefined, 'plain text has no SSML pauses');
    const pauses = Array.from({ length: plan.segments.length + 1 }, (_, i) => pauseMs(plan, i));
    assert.deepEqual(pauses, [0, 300, 50, 0, 0]);
    assert.deepEqual([1, 2, 3].map((i) => segmentJoin(plan, i)), ['paragraph', 'clause', 'word']);
  });

  it('packed sentences join by sentence; a plan without joins reads them from the segments', async () => {
    const plan = await planText(engine, config, { text: 'One sentence here. Another sentence is here. And a third one is here.', language: 'en' }, 'r');
    assert.deepEqual(plan.joins, ['sentence']);
    assert.equal(pauseMs({ ...plan, joins: undefined }, 1), 100);
  });
});
