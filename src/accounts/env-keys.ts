// COSYFLEET_API_KEYS: keys an operator hands out without a database (a secret manager fills the
// variable). `KEY` belongs to the default tenant, `TENANT:KEY` to that tenant.
import type { EnvKey } from './key-service.js';
import { DEFAULT_TENANT, TENANT_PATTERN } from './principal.js';

const MIN_KEY_CHARS = 16;

function entries(value: string): string[] {
  return value
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
}

function split(entry: string): EnvKey {
  const colon = entry.indexOf(':');
  return colon > 0 ? { tenant: entry.slice(0, colon), secret: entry.slice(colon + 1) } : { tenant: DEFAULT_TENANT, secret: entry };
}

/** Problems with the variable, each naming the entry by position (never its value). */
export function envKeyProblems(value: string): string[] {
  const problems: string[] = [];
  entries(value).forEach((entry, i) => {
    const { tenant, secret } = split(entry);
    if (!TENANT_PATTERN.test(tenant)) problems.push(`COSYFLEET_API_KEYS entry ${i + 1}: tenant must be 1–64 lower-case letters, digits, "-" or "_"`);
    if (secret.length < MIN_KEY_CHARS) problems.push(`COSYFLEET_API_KEYS entry ${i + 1}: a key needs at least ${MIN_KEY_CHARS} characters`);
    if (/\s/.test(secret)) problems.push(`COSYFLEET_API_KEYS entry ${i + 1}: a key cannot hold spaces`);
  });
  return problems;
}

export function parseEnvKeys(value: string): EnvKey[] {
  return entries(value).map(split);
}
