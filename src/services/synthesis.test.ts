// planText's own guards, whatever rewrote the text (the lexicon has its own, earlier check).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { EspeakEngine } from '../engines/espeak/engine.js';
import { planText, type PipelineConfig } from './synthesis.js';

const engine = new EspeakEngine({ workers: 1 });
after(() => engine.close());
const config: PipelineConfig = { maxTextChars: 20, maxSegmentChars: 0, segmentGapMs: 0 };

describe('planText', () => {
  it('passes MAX_TEXT_CHARS to the rewriter and refuses a longer rewrite with text_too_long', async () => {
    let limit: number | undefined;
    const rewriteText = async (_text: string, context: { maxChars: number }) => {
      limit = context.maxChars;
      return '[M][AY0][N][UW1][T] ok';
    };
    await assert.rejects(planText(engine, config, { text: 'minute ok' }, 'r1', { rewriteText }), (err: unknown) => {
      assert.equal((err as { code?: string }).code, 'text_too_long');
      assert.match((err as Error).message, /^text is 22 characters after the lexicon; this server accepts at most 20 per request \(MAX_TEXT_CHARS\)/);
      return true;
    });
    assert.equal(limit, 20);
    const plan = await planText(engine, config, { text: 'minute ok', lexicon: false }, 'r2', { rewriteText });
    assert.deepEqual(plan.segments, ['minute ok']);
  });

  it('refuses text with nothing to speak after the rewrite, and accepts what the rewrite made speakable', async () => {
    await assert.rejects(planText(engine, config, { text: '[breath] …' }, 'r3'), { code: 'nothing_to_speak', param: 'text' });
    const plan = await planText(engine, config, { text: '[breath] …' }, 'r4', { rewriteText: async () => '[breath] [HH][AY1]' });
    assert.deepEqual(plan.segments, ['[breath] [HH][AY1]']);
  });
});
