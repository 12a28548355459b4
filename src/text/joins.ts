// What separates two consecutive segments of a request, and how long a pause that is. Long text
// is cut into engine-sized segments; joined with one fixed gap, it pauses mid-sentence where the
// segmenter had to cut and hurries over paragraph ends. The pause follows the punctuation
// instead: a paragraph end pauses longest, then a sentence end (SEGMENT_GAP_MS), then a clause
// mark; a cut with no punctuation (a sentence longer than a segment, or a change of SSML rate)
// has no pause at all: the two segments are crossfaded (src/audio/segment-joiner.ts). An SSML
// <break> sets its own pause.
import { endingMark } from './boundaries.js';

export const SEGMENT_JOINS = ['paragraph', 'sentence', 'clause', 'word', 'break'] as const;
export type SegmentJoin = (typeof SEGMENT_JOINS)[number];

/** Pause after a paragraph, as a multiple of SEGMENT_GAP_MS (a sentence end's pause). */
const PARAGRAPH_GAPS = 3;
/** Pause after a clause mark, as a fraction of SEGMENT_GAP_MS. */
const CLAUSE_GAPS = 0.5;

const LINE_BREAK = /[\n\r\u2028\u2029]/;
// Markup that can close a segment (`</strong>`) says nothing about the pause.
const TRAILING_MARKUP = /(?:<\/?[A-Za-z]+>|\s)+$/;

/**
 * The join after `segment`. `between`: the text between it and the next segment (a line break
 * there is a paragraph end, as segmentation treats it).
 */
export function joinAfter(segment: string, between = ''): Exclude<SegmentJoin, 'break'> {
  if (LINE_BREAK.test(between)) return 'paragraph';
  const mark = endingMark(segment.replace(TRAILING_MARKUP, ''));
  return mark === 'sentence' ? 'sentence' : mark === 'clause' ? 'clause' : 'word';
}

/** Milliseconds of silence at a join; 0 for a word join (crossfaded). A break without its own length counts as a sentence end. */
export function joinPauseMs(join: SegmentJoin, gapMs: number): number {
  switch (join) {
    case 'paragraph':
      return gapMs * PARAGRAPH_GAPS;
    case 'clause':
      return Math.round(gapMs * CLAUSE_GAPS);
    case 'word':
      return 0;
    default:
      return gapMs;
  }
}
