// Pronunciation suggestions for GET /v1/pronounce: each English word (CMU dictionary) and each
// Chinese character (pinyin-pro) of a short text, with every reading as CosyVoice3 tokens ready
// to paste into request text or a lexicon entry. Annotation tokens already in the text are
// skipped: they are pronunciations, not words.
import { AppError } from '../errors/app-error.js';
import { scanAnnotations } from '../text/annotations.js';
import { detectLanguage } from '../text/language.js';
import { cmuReadings } from './english.js';
import { hanReadings, pinyinToTokens } from './mandarin.js';

export const MAX_PRONOUNCE_CHARS = 200;
/** The languages these dictionaries describe: English words and Mandarin readings of characters. */
export const PRONOUNCE_LANGUAGES = ['en', 'cmn'] as const;

export type ReadingSource = 'cmudict' | 'pinyin-pro';

export interface Reading {
  tokens: string;
  source: ReadingSource;
  /** The source's notation: ARPAbet (`M AY0 N UW1 T`) or tone-marked pinyin (`xíng`). */
  raw: string;
}

export interface PronounceItem {
  text: string;
  /** 0-based UTF-16 offset in the request text. */
  position: number;
  found: boolean;
  readings: Reading[];
  /** Readings the source knows that CosyVoice3's token inventory cannot spell (e.g. ḿ), as written there. */
  unrepresentable?: string[];
}

export interface PronounceResult {
  language: string;
  languageDetected: boolean;
  items: PronounceItem[];
}

// Letters of a Latin word, with inner apostrophes and hyphens (don't, o'clock, co-op).
const LATIN_WORD = /\p{Script=Latin}[\p{Script=Latin}\p{M}]*(?:['\u2019-][\p{Script=Latin}\p{M}]+)*/gu;
const HAN_RUN = /\p{Script=Han}+/gu;

export async function suggestPronunciations(text: string, language: string | undefined): Promise<PronounceResult> {
  if (text.trim() === '') throw new AppError('empty_text', 'text must hold a word or character to look up.', { param: 'text' });
  const length = [...text].length;
  if (length > MAX_PRONOUNCE_CHARS) {
    throw new AppError('text_too_long', `text has ${length} characters; /v1/pronounce looks up at most ${MAX_PRONOUNCE_CHARS}.`, { param: 'text' });
  }
  const lang = language ?? detectLanguage(text);
  if (!(PRONOUNCE_LANGUAGES as readonly string[]).includes(lang)) {
    const why = language === undefined ? `The text reads as "${lang}"; ` : '';
    throw new AppError(
      'unsupported_language',
      `${why}pronunciation suggestions cover English words (CMU dictionary) and Mandarin characters (pinyin); pass language=en or language=cmn.`,
      { param: 'language' },
    );
  }

  const items: PronounceItem[] = [];
  for (const span of scanAnnotations(text).spans) {
    if (span.type !== 'text') continue;
    for (const m of span.text.matchAll(LATIN_WORD)) items.push(...(await englishItems(m[0], span.start + (m.index ?? 0))));
    for (const m of span.text.matchAll(HAN_RUN)) items.push(...(await mandarinItems(m[0], span.start + (m.index ?? 0))));
  }
  items.sort((a, b) => a.position - b.position);
  return { language: lang, languageDetected: language === undefined, items };
}

async function englishItems(word: string, position: number): Promise<PronounceItem[]> {
  const readings = await cmuReadings(word);
  if (readings) return [{ text: word, position, found: true, readings: readings.map((r) => ({ ...r, source: 'cmudict' })) }];
  // The dictionary lists few compounds; their parts usually are there (well-known → well, known).
  if (word.includes('-')) {
    const parts: PronounceItem[] = [];
    let offset = 0;
    for (const part of word.split('-')) {
      parts.push(...(await englishItems(part, position + offset)));
      offset += part.length + 1;
    }
    return parts;
  }
  return [{ text: word, position, found: false, readings: [] }];
}

async function mandarinItems(run: string, position: number): Promise<PronounceItem[]> {
  const perChar = await hanReadings(run);
  let offset = 0;
  return Array.from(run).map((ch, i) => {
    const item: PronounceItem = { text: ch, position: position + offset, found: false, readings: [] };
    offset += ch.length;
    const pinyin = perChar[i]?.pinyin ?? [];
    if (pinyin.length === 0) return item;
    item.found = true;
    const unrepresentable: string[] = [];
    for (const p of pinyin) {
      const tokens = pinyinToTokens(p);
      if (tokens) item.readings.push({ tokens, source: 'pinyin-pro', raw: p });
      else unrepresentable.push(p);
    }
    if (unrepresentable.length > 0) item.unrepresentable = unrepresentable;
    return item;
  });
}
