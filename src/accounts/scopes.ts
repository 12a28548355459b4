// What an API key may do. Scopes are coarse on purpose: each maps onto a group of routes that a
// team hands to a different kind of caller (an app that speaks, a person who curates voices and
// the lexicon, a dashboard that reads usage, an operator).
export const SCOPES = ['synthesize', 'voices', 'usage', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Shorter names people type on a command line. */
const ALIASES: Readonly<Record<string, Scope>> = { synth: 'synthesize', tts: 'synthesize', lexicon: 'voices' };

export const SCOPE_DESCRIPTIONS: Readonly<Record<Scope, string>> = {
  synthesize: 'synthesize speech; read voices, presets, the lexicon and its own outputs',
  voices: 'create, change and delete voices and lexicon entries',
  usage: "read its tenant's usage and cost",
  admin: 'everything: keys, workers, metrics, every tenant',
};

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** "synth,voices" → ['synthesize', 'voices'] (deduplicated, in catalog order); throws on an unknown name. */
export function parseScopes(list: string | readonly string[]): Scope[] {
  const names = (typeof list === 'string' ? list.split(',') : list).map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  const out = new Set<Scope>();
  for (const name of names) {
    const scope = ALIASES[name] ?? name;
    if (!isScope(scope)) throw new RangeError(`unknown scope "${name}" (scopes: ${SCOPES.join(', ')}; aliases: ${Object.keys(ALIASES).join(', ')})`);
    out.add(scope);
  }
  if (out.size === 0) throw new RangeError(`a key needs at least one scope (${SCOPES.join(', ')})`);
  return SCOPES.filter((s) => out.has(s));
}

/** Whether a key with `held` may use a route that needs `needed` (admin holds every scope). */
export function allows(held: ReadonlySet<Scope>, needed: Scope): boolean {
  return held.has(needed) || held.has('admin');
}
