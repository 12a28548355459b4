// SSML through planning and rendering: converted before the lexicon, validation and
// segmentation; limits on the expanded text; a segment never spans a break or a change of rate;
// each segment's speed (clamped to the engine, with a warning) and the pauses at the fenceposts
// reach the engine and the audio. Real espeak; the audio compared sample for sample (PCM at the
// engine's rate, so nothing is resampled).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { AppError } from '../errors/app-error.js';
import { EspeakEngine } from '../engines/espeak/engine.js';
import type { SynthesisRequest, SynthesizeOptions } from '../engines/engine.js';
import type { PcmChunk } from '../audio/pcm.js';
import { validateAnnotations } from '../text/annotations.js';
import { planSynthesis, planText, renderAudio, type PipelineConfig, type SynthesisPlan, type TtsInput } from './synthesis.js';

/**
 * espeak, recording the speed of each call. It replays the audio of a text it has spoken before:
 * espeak's samples differ a little from call to call, and the joins trim each segment's own quiet
 * by what its samples hold, so two renders compare sample for sample only on the same audio.
 */
class RecordingEspeak extends EspeakEngine {
  readonly calls: { text: string; speed: number }[] = [];
  private readonly spoken = new Map<string, PcmChunk[]>();
  override synthesize(request: SynthesisRequest, options?: SynthesizeOptions): AsyncIterable<PcmChunk> {
    this.calls.push({ text: request.text, speed: request.speed });
    const key = `${request.speed}|${request.text}`;
    const known = this.spoken.get(key);
    if (known) return (async function* () { yield* known; })();
    const source = super.synthesize(request, options);
    const spoken = this.spoken;
    return (async function* () {
      const chunks: PcmChunk[] = [];
      for await (const c of source) {
        chunks.push(c);
        yield c;
      }
      spoken.set(key, chunks);
    })();
  }
}

const engine = new RecordingEspeak({ workers: 1 });
before(() => engine.start());
after(() => engine.close());
const RATE = engine.capabilities.sampleRate;
const config: PipelineConfig = { maxTextChars: 400, maxSegmentChars: 0, segmentGapMs: 120 };
const plan = (text: string, extra: Partial<TtsInput> = {}, cfg: PipelineConfig = config) => planText(engine, cfg, { text, ...extra }, 'r');

async function render(p: SynthesisPlan): Promise<number> {
  let bytes = 0;
  for await (const b of renderAudio(p, new AbortController().signal)) bytes += b.length;
  return bytes / 2;
}

describe('planning SSML', () => {
  it('plain text plans as before: no per-segment speeds or pauses', async () => {
    const p = await plan('Hello there. <break time="1s"/> is read as text.');
    assert.equal(p.speeds, undefined);
    assert.equal(p.pauses, undefined);
    assert.equal(p.ssmlOffset, undefined);
  });

  it('a break ends a segment and sets the pause at that fencepost; rate changes get segments of their own', async () => {
    const p = await plan('<speak><break time="300ms"/>One. Two.<break time="2s"/>Three <prosody rate="slow">slow words</prosody> four.<break time="1s"/></speak>', { speed: 1.2 });
    assert.deepEqual(p.segments, ['One. Two.', 'Three', 'slow words', 'four.']);
    // A change of rate inside a sentence is no pause: those joins are crossfaded (src/text/joins.ts).
    assert.deepEqual(p.pauses, [300, 2000, 0, 0, 1000]);
    assert.deepEqual(p.joins, ['break', 'word', 'word']);
    assert.deepEqual(p.speeds, [1.2, 1.2, 0.9, 1.2]);
    assert.equal(p.text, 'One. Two.\nThree\nslow words\nfour.');
    assert.deepEqual(p.warnings, []);
  });

  it('clamps a rate the engine cannot take, with a warning naming it', async () => {
    const p = await plan('<speak>Normal <prosody rate="x-fast">very fast</prosody> <prosody rate="20%">crawl</prosody></speak>', { speed: 2 });
    assert.deepEqual(p.speeds, [2, 2, 0.5]);
    const w = p.warnings.find((x) => x.code === 'ssml_rate_clamped');
    assert.ok(w, JSON.stringify(p.warnings));
    assert.equal(w.param, 'text');
    assert.match(w.message, /speed 3 \(spoken at 2\), 0\.4 \(spoken at 0\.5\).*espeak engine's range 0\.5–2/);
  });

  it('SSML warnings come with the plan, one per code', async () => {
    const p = await plan('<speak><voice name="x">Hi</voice> <emphasis>there</emphasis><mark name="a"/> <foo>bar</foo></speak>');
    const codes = p.warnings.map((w) => w.code);
    assert.deepEqual(codes.filter((c) => c.startsWith('ssml_')), ['ssml_element_ignored', 'ssml_emphasis_ignored']);
    assert.match(p.warnings[0]?.message ?? '', /<voice>, <mark>, <foo>/);
    assert.deepEqual(p.segments, ['Hi there bar']);
  });

  it('the lexicon rewrites the converted text, part by part, and SSML language wins over detection', async () => {
    const seen: string[] = [];
    const rewriteText = async (text: string) => {
      seen.push(text);
      return text.replace(/minute/g, '[M][AY0][N][UW1][T]');
    };
    const p = await planText(engine, config, { text: '<speak xml:lang="en-GB">A minute <break time="1s"/> another minute</speak>' }, 'r', { rewriteText });
    assert.deepEqual(seen, ['A minute\u001eanother minute']);
    assert.deepEqual(p.segments, ['A [M][AY0][N][UW1][T]', 'another [M][AY0][N][UW1][T]']);
    assert.equal(p.language, 'en');
    assert.equal(p.languageDetected, false);
  });

  it('an invalid token in SSML text is invalid_token at its position in the SSML', async () => {
    const text = '<speak>\n<p>Say <emphasis>[M][AY7]</emphasis></p></speak>';
    await assert.rejects(plan(text), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'invalid_token');
      assert.equal(err.message, `Invalid token [AY7] at position ${text.indexOf('[AY7]')}: Unknown CMU phoneme token [AY7]. Did you mean [AY0]?`);
      return true;
    });
  });

  it('refuses malformed SSML, SSML with nothing in it, and text that grows past MAX_TEXT_CHARS when expanded', async () => {
    await assert.rejects(plan('<speak>Hello'), { code: 'invalid_ssml', param: 'text' });
    await assert.rejects(plan('<speak> <break time="1s"/> <mark name="x"/> </speak>'), { code: 'empty_text', param: 'text' });
    // 158 characters of SSML, 199 once the letters are spelled out.
    const spelled = `<speak><say-as interpret-as="characters">${'a'.repeat(100)}</say-as></speak>`;
    assert.equal([...spelled].length, 158);
    await assert.rejects(plan(spelled, {}, { ...config, maxTextChars: 180 }), (err: unknown) => {
      assert.equal((err as AppError).code, 'text_too_long');
      assert.match((err as Error).message, /^text is 199 characters after SSML conversion .*at most 180 per request \(MAX_TEXT_CHARS\)/);
      return true;
    });
  });

  it('segment limits hold inside each part', async () => {
    const long = Array.from({ length: 12 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
    const p = await plan(`<speak>${long}<break time="1s"/>${long}</speak>`, {}, { ...config, maxTextChars: 2000, maxSegmentChars: 60 });
    for (const s of p.segments) assert.ok(s.length <= 60, s);
    assert.equal(p.pauses?.length, p.segments.length + 1);
    assert.equal(p.pauses?.filter((x) => x === 1000).length, 1);
  });

  it('generated SSML always plans to segments within the limit, speeds within the engine, no tag names, valid tokens', async () => {
    const piece = fc.constantFrom(
      'Hello world. ', 'minute ', '<break time="500ms"/>', '<break strength="strong"/>', '<prosody rate="x-slow">slow </prosody>', '<prosody rate="300%">fast </prosody>',
      '<emphasis>loud</emphasis> ', '<say-as interpret-as="characters">abc</say-as> ', '<sub alias="substitute">s</sub> ', '<phoneme alphabet="cmu" ph="M AY0">my</phoneme> ',
      '<p>para</p>', '<s>sentence</s>', '<audio src="x">fallback</audio>', '<mark name="m"/>', '<unknown>kept</unknown> ', '[M][AY0] ',
    );
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 12 }), fc.constantFrom(0.5, 1, 2), async (pieces, speed) => {
        const text = `<speak>${pieces.join('')}</speak>`;
        let p;
        try {
          // Room for the longest generated document (12 pieces): this property is not about MAX_TEXT_CHARS.
          p = await plan(text, { speed }, { ...config, maxTextChars: 2000, maxSegmentChars: 40 });
        } catch (err) {
          // Only SSML with no words at all is refused.
          assert.ok(err instanceof AppError && (err.code === 'empty_text' || err.code === 'nothing_to_speak'), String(err));
          return;
        }
        for (const [i, s] of p.segments.entries()) {
          assert.ok(s.length <= 40, s);
          assert.ok(!/<(?!\/?strong>)/.test(s), s);
          assert.deepEqual(validateAnnotations(s), []);
          const v = p.speeds?.[i] ?? p.speed;
          assert.ok(v >= 0.5 && v <= 2, String(v));
        }
        if (p.pauses) assert.equal(p.pauses.length, p.segments.length + 1);
      }),
      { numRuns: 60 },
    );
  });
});

describe('rendering SSML', () => {
  it('breaks become exactly that much silence, at the start, between segments and at the end; each segment is spoken at its speed', async () => {
    const text = '<speak><break time="1s"/>One.<break time="2s"/>Two. <prosody rate="x-slow">Three.</prosody><break time="500ms"/></speak>';
    const input = { text, format: 'pcm' as const };
    const withBreaks = await planSynthesis(engine, config, input, 'a');
    assert.deepEqual(withBreaks.pauses, [1000, 2000, 120, 500]);
    engine.calls.length = 0;
    const a = await render(withBreaks);
    assert.deepEqual(engine.calls, [{ text: 'One.', speed: 1 }, { text: 'Two.', speed: 1 }, { text: 'Three.', speed: 0.5 }]);
    // The same segments and speeds without the plan's pauses: the usual gaps between segments only.
    const plain = await planSynthesis(engine, config, input, 'b');
    const b = await render({ ...plain, pauses: undefined });
    const ms = (n: number) => Math.round((RATE * n) / 1000);
    assert.equal(a - b, ms(1000) + ms(2000) - ms(120) + ms(500));
  });
});
