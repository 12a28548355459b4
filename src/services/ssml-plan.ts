// What planning does with SSML input (src/text/ssml.ts): convert it to CosyVoice3 text before
// anything else reads the text, validate the result with positions in the client's SSML, and
// after the lexicon lay the parts out as segments with a speed each (<prosody rate>) and the
// pauses between them (<break>). Plain text never comes here.
import { AppError } from '../errors/app-error.js';
import type { EngineCapabilities, SynthesisWarning } from '../engines/engine.js';
import { validateAnnotations, type AnnotationIssue } from '../text/annotations.js';
import { segmentSpans, type SegmentOptions } from '../text/segment.js';
import { joinAfter, joinPauseMs, type SegmentJoin } from '../text/joins.js';
import { PART_SEPARATOR, ssmlToText, type SsmlText } from '../text/ssml.js';

/** SSML → text and parts; refuses SSML with no text, and text that grows past MAX_TEXT_CHARS. */
export function readSsml(source: string, caps: EngineCapabilities, maxTextChars: number): SsmlText {
  const ssml = ssmlToText(source, { markup: caps.annotations.includes('markup'), engineName: caps.name });
  if (ssml.parts.length === 0) {
    throw new AppError('empty_text', 'text is SSML with no text to speak in it (only markup, breaks or whitespace).', { param: 'text' });
  }
  const chars = ssml.parts.reduce((n, p) => n + [...p.text].length, 0);
  if (chars > maxTextChars) {
    throw new AppError(
      'text_too_long',
      `text is ${chars} characters after SSML conversion (say-as, sub and phoneme expanded); this server accepts at most ${maxTextChars} per request (MAX_TEXT_CHARS).`,
      { param: 'text' },
    );
  }
  return ssml;
}

/** The first annotation problem in the converted text, its position in the client's SSML. */
export function ssmlAnnotationIssue(ssml: SsmlText): AnnotationIssue | undefined {
  for (const part of ssml.parts) {
    const issue = validateAnnotations(part.text)[0];
    if (issue) return { ...issue, position: ssml.sourceOffset(part.start + issue.position) };
  }
  return undefined;
}

/** The converted text as a client sees it (preview-text): parts on lines of their own. */
export function displayText(text: string): string {
  return text.split(PART_SEPARATOR).join('\n');
}

export interface SegmentLayout {
  readonly segments: string[];
  /** Per segment, when some part has a rate of its own. */
  readonly speeds?: number[];
  /** Fenceposts, segments.length + 1 (see SynthesisPlan.pauses), when the SSML has breaks. */
  readonly pauses?: number[];
  /** What separates each segment from the next (see SynthesisPlan.joins). */
  readonly joins: SegmentJoin[];
  readonly warnings: SynthesisWarning[];
}

/**
 * Segments `text` (the converted text after the lexicon and the unreadable-text policy, parts
 * still joined by PART_SEPARATOR): each part on its own, so no segment spans a break or a change
 * of rate. A rate takes the request's speed times the part's rate, clamped to the engine's range
 * with a warning. A fencepost with a <break> gets its pause; the others the pause their join
 * calls for (punctuation, src/text/joins.ts): a change of rate inside a sentence has none.
 */
export function layoutSegments(
  text: string,
  ssml: SsmlText,
  options: SegmentOptions,
  context: { speed: number; caps: EngineCapabilities; gapMs: number },
): SegmentLayout {
  const texts = text.split(PART_SEPARATOR);
  if (texts.length !== ssml.parts.length) {
    // Only a rewriter that drops the separator can cause this; the lexicon cannot (see PART_SEPARATOR).
    throw new Error(`the text has ${texts.length} SSML parts after rewriting, expected ${ssml.parts.length}`);
  }
  const { speed, caps, gapMs } = context;
  const segments: string[] = [];
  const speeds: number[] = [];
  const pauses: number[] = [];
  const joins: SegmentJoin[] = [];
  const clamped = new Set<string>();
  // Since the last segment: the <break>s passed (null: none), and the text (a line break in it is a paragraph end).
  let breakMs: number | null = ssml.pauses[0] ?? null;
  let between = '';
  texts.forEach((partText, k) => {
    const wanted = round(speed * (ssml.parts[k]?.rate ?? 1));
    const partSpeed = Math.min(caps.speed.max, Math.max(caps.speed.min, wanted));
    if (partSpeed !== wanted) clamped.add(`${wanted} (spoken at ${partSpeed})`);
    let at = 0;
    for (const piece of segmentSpans(partText, options)) {
      between += partText.slice(at, piece.start);
      const previous = segments[segments.length - 1];
      if (previous === undefined) pauses.push(breakMs ?? 0);
      else {
        const join = breakMs !== null ? 'break' : joinAfter(previous, between);
        joins.push(join);
        pauses.push(breakMs ?? joinPauseMs(join, gapMs));
      }
      segments.push(piece.text);
      speeds.push(partSpeed);
      breakMs = null;
      between = '';
      at = piece.end;
    }
    between += partText.slice(at);
    // Breaks with no text between them (a part left empty: its text skipped as unreadable) add up.
    const after = ssml.pauses[k + 1] ?? null;
    if (after !== null) breakMs = (breakMs ?? 0) + after;
  });
  pauses.push(breakMs ?? 0);
  const warnings: SynthesisWarning[] = [];
  if (clamped.size > 0) {
    warnings.push({
      code: 'ssml_rate_clamped',
      message: `<prosody rate> asks for speed ${[...clamped].join(', ')}: the request's speed times the rate must stay within the ${caps.name} engine's range ${caps.speed.min}–${caps.speed.max}.`,
      param: 'text',
    });
  }
  return {
    segments,
    ...(speeds.some((s) => s !== speed) ? { speeds } : {}),
    ...(ssml.pauses.some((p) => p !== null) ? { pauses } : {}),
    joins,
    warnings,
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;
