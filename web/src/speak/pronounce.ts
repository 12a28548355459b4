// GET /v1/pronounce for the editor's lookups (through the studio's typed client, so a key that
// stops working brings up the key prompt as everywhere else), and what the person picked turned
// into one token string. Types come from the document itself, not the client, so the pure parts
// are testable under Node (test/ui/studio-speak.test.ts) without the browser's fetch types.
import type { paths } from '../api/schema.js';
import type { LookupTarget } from './word-at.js';

type PronounceOperation = paths['/v1/pronounce']['get'];
type PronounceResult = PronounceOperation['responses'][200]['content']['application/json'];
/** The part of the studio's Api (../api/client.ts) a lookup uses. */
export interface Pronouncer {
  pronounce(query: PronounceOperation['parameters']['query'], signal?: AbortSignal): Promise<PronounceResult>;
}

export type PronounceItem = NonNullable<PronounceResult['items']>[number];
export type Reading = NonNullable<PronounceItem['readings']>[number];

/** The items of the looked-up word only (a Han lookup sends neighbours for context). */
export async function lookUp(api: Pronouncer, target: LookupTarget, signal?: AbortSignal): Promise<PronounceItem[]> {
  const { items = [] } = await api.pronounce({ text: target.query, language: target.language }, signal);
  const from = target.queryOffset;
  const to = from + target.text.length;
  return items.filter((i) => (i.position ?? -1) >= from && (i.position ?? -1) < to);
}

/**
 * The tokens for the chosen reading of each item (`choices[i]` indexes item i's readings), or
 * null while an item has none. English parts of a hyphenated word stay separate runs; Han
 * syllables join into one run, as the service spells a multi-character term.
 */
export function chosenTokens(items: readonly PronounceItem[], choices: readonly number[], language: LookupTarget['language']): string | null {
  const parts: string[] = [];
  for (const [i, item] of items.entries()) {
    const reading = item.readings?.[choices[i] ?? 0];
    if (!reading?.tokens) return null;
    parts.push(reading.tokens);
  }
  if (parts.length === 0) return null;
  return parts.join(language === 'en' ? ' ' : '');
}
