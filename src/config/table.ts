// The README's configuration table, rendered from SETTINGS so the docs cannot drift from the
// loader (test/docs/readme.test.ts compares them).
import { SETTINGS } from './settings.js';

export function configTableMarkdown(): string {
  const rows = SETTINGS.map((s) => {
    const def = typeof s.default === 'function' ? 'CPU count' : Array.isArray(s.default) ? '(empty)' : s.default === '' ? '(unset)' : `\`${String(s.default)}\``;
    const choices = 'choices' in s && s.choices ? ` One of ${s.choices.map((c) => `\`${c}\``).join(', ')}.` : '';
    return `| \`${s.env}\` | \`${s.flag}\` | ${def} | ${s.description.replace(/\|/g, '\\|')}${choices} |`;
  });
  return ['| Environment | Flag | Default | Meaning |', '|---|---|---|---|', ...rows].join('\n');
}
