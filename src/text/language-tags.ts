// Language tags as people write them (BCP 47 like `zh-CN`, `cmn-Hans-CN`, `zh-yue`, `en_US`; ISO
// 639-2/3 codes like `eng`, `zho`; English names like `Mandarin`), case-insensitive, mapped to
// the codes the engines speak. Chinese is Mandarin unless the tag says Cantonese (`yue`, `zh-yue`)
// or a region where Cantonese is the written vernacular (`zh-HK`, `zh-MO`).
import { editDistance } from './edit-distance.js';
import { LANGUAGES, type LanguageCode } from './language.js';

const PRIMARY: Readonly<Record<string, LanguageCode>> = {
  en: 'en', eng: 'en',
  cmn: 'cmn', zh: 'cmn', zho: 'cmn', chi: 'cmn',
  yue: 'yue',
  ja: 'ja', jpn: 'ja',
  ko: 'ko', kor: 'ko',
  de: 'de', deu: 'de', ger: 'de',
  es: 'es', spa: 'es',
  fr: 'fr', fra: 'fr', fre: 'fr',
  it: 'it', ita: 'it',
  ru: 'ru', rus: 'ru',
};

const NAMES: Readonly<Record<string, LanguageCode>> = {
  ...Object.fromEntries(LANGUAGES.map((l) => [l.name.toLowerCase(), l.code])),
  english: 'en', chinese: 'cmn', mandarin: 'cmn', putonghua: 'cmn', cantonese: 'yue',
  japanese: 'ja', korean: 'ko', german: 'de', spanish: 'es', french: 'fr', italian: 'it', russian: 'ru',
};

const CANTONESE_REGIONS = new Set(['hk', 'mo']);

/** The engine code for a tag, or null when no supported language matches. */
export function resolveLanguageTag(tag: string): LanguageCode | null {
  const t = tag.trim().toLowerCase().replace(/_/g, '-');
  if (t === '') return null;
  const named = NAMES[t];
  if (named) return named;
  const parts = t.split('-');
  const primary = parts[0] as string;
  const code = PRIMARY[primary];
  if (!code) return null;
  if (primary === 'zh' || primary === 'zho' || primary === 'chi') {
    const rest = parts.slice(1);
    if (rest.includes('yue')) return 'yue';
    if (rest.includes('cmn')) return 'cmn';
    if (rest.some((p) => CANTONESE_REGIONS.has(p))) return 'yue';
  }
  return code;
}

/** What to tell a client whose tag names no supported language: the closest one, and the choices. */
export function unknownLanguageMessage(tag: string): string {
  const closest = closestLanguage(tag);
  const name = LANGUAGES.find((l) => l.code === closest)?.name ?? closest;
  return `Language "${tag.slice(0, 40)}" is not supported; the closest is "${closest}" (${name}). Supported: ${LANGUAGES.map((l) => `${l.code} (${l.name})`).join(', ')}; tags such as zh-CN, zh-HK or en-US work too.`;
}

/** The supported language closest in spelling to an unknown tag, for the error message. */
export function closestLanguage(tag: string): LanguageCode {
  const t = tag.trim().toLowerCase();
  let best: { code: LanguageCode; distance: number } = { code: 'en', distance: Number.POSITIVE_INFINITY };
  for (const [candidate, code] of [...Object.entries(PRIMARY), ...Object.entries(NAMES)]) {
    const d = editDistance(t, candidate);
    if (d < best.distance) best = { code, distance: d };
  }
  return best.code;
}
