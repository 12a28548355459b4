// `cosyfleet keys …`: API keys on the service's own database (DATA_DIR's file, or PostgreSQL
// with DATABASE_URL: the same one the service uses), so the first keys can be made before the
// service ever runs, and a lost admin key replaced without one. Settings flags (--data-dir,
// --database-url …) pass through to the configuration.
import { loadConfig } from '../config/config.js';
import { openStores } from '../storage/stores.js';
import { KeyService } from './key-service.js';
import type { KeyLimits, KeyRecord } from './key-store.js';
import { TENANT_PATTERN } from './principal.js';
import { SCOPES, SCOPE_DESCRIPTIONS, parseScopes } from './scopes.js';

export interface KeysIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** Command flag → limit it sets. */
const LIMIT_FLAGS: Readonly<Record<string, keyof KeyLimits>> = {
  '--rpm': 'requestsPerMinute',
  '--concurrent': 'concurrentRequests',
  '--chars-per-day': 'charactersPerDay',
  '--chars-per-month': 'charactersPerMonth',
  '--audio-seconds-per-day': 'audioSecondsPerDay',
  '--audio-seconds-per-month': 'audioSecondsPerMonth',
};

const HELP = `Usage:
  cosyfleet keys create --name NAME --scope SCOPES [--tenant TENANT] [limits] [--store-by-default] [--json]
  cosyfleet keys list [--tenant TENANT] [--json]
  cosyfleet keys revoke KEY_ID
  cosyfleet keys limits KEY_ID [limits]        (a limit of 0 removes it)
  cosyfleet keys store KEY_ID on|off           (store the key's synthesis requests that do not send "store")

Scopes (comma-separated; synth = synthesize):
${SCOPES.map((s) => `  ${s.padEnd(11)} ${SCOPE_DESCRIPTIONS[s]}`).join('\n')}

Limits (per key; unset = unlimited):
${Object.entries(LIMIT_FLAGS).map(([f, k]) => `  ${f} N`.padEnd(32) + k).join('\n')}

Works on the service's database (DATA_DIR, or DATABASE_URL; settings flags such as --data-dir
and --database-url apply). The secret
of a new key is printed once and stored only as a digest.
`;

class UsageError extends Error {}

function takeFlags(argv: readonly string[], names: readonly string[]): { values: Map<string, string>; bools: Set<string>; rest: string[] } {
  const values = new Map<string, string>();
  const bools = new Set<string>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--json' || a === '--store-by-default') bools.add(a);
    else if (names.includes(a)) {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      values.set(a, v);
      i++;
    } else rest.push(a);
  }
  return { values, bools, rest };
}

function limitsFrom(values: Map<string, string>, zeroRemoves: boolean): Partial<KeyLimits> {
  const out: Partial<Record<keyof KeyLimits, number | null>> = {};
  for (const [flag, key] of Object.entries(LIMIT_FLAGS)) {
    const v = values.get(flag);
    if (v === undefined) continue;
    if (!/^\d+$/.test(v)) throw new UsageError(`${flag} must be a whole number, got "${v}"`);
    const n = Number(v);
    if (n === 0 && !zeroRemoves) throw new UsageError(`${flag} must be at least 1`);
    out[key] = n === 0 ? null : n;
  }
  return out as Partial<KeyLimits>;
}

function describe(r: KeyRecord): string {
  const limits = Object.entries(r.limits).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${String(v)}`);
  return [
    `${r.id}  ${r.prefix}  tenant ${r.tenant}  "${r.name}"`,
    `    scopes ${r.scopes.join(',')}; ${limits.length ? limits.join(', ') : 'no limits'}; ${r.storeByDefault ? 'stores outputs by default' : 'stores outputs when asked'}; created ${r.createdAt}${r.revokedAt ? `; REVOKED ${r.revokedAt}` : ''}${r.lastUsedAt ? `; last used ${r.lastUsedAt}` : ''}`,
  ].join('\n');
}

export async function runKeysCommand(argv: readonly string[], io: KeysIo): Promise<number> {
  const [sub, ...args] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(HELP);
    return sub === undefined ? 2 : 0;
  }
  try {
    const { values, bools, rest } = takeFlags(args, ['--name', '--scope', '--tenant', ...Object.keys(LIMIT_FLAGS)]);
    const positional: string[] = [];
    const settings: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i] as string;
      if (a.startsWith('--')) {
        settings.push(a);
        if (rest[i + 1] !== undefined && !(rest[i + 1] as string).startsWith('--')) settings.push(rest[++i] as string);
      } else positional.push(a);
    }
    const tenant = values.get('--tenant');
    if (tenant !== undefined && !TENANT_PATTERN.test(tenant)) throw new UsageError(`--tenant must be 1–64 lower-case letters, digits, "-" or "_", got "${tenant}"`);
    const config = loadConfig({ env: io.env, argv: settings });
    const stores = await openStores(config);
    try {
      const keys = new KeyService(stores.keys);
      const json = bools.has('--json');
      const out = (value: unknown, text: string) => io.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
      switch (sub) {
        case 'create': {
          const name = values.get('--name');
          const scope = values.get('--scope');
          if (!name) throw new UsageError('--name is required');
          if (!scope) throw new UsageError(`--scope is required (${SCOPES.join(', ')})`);
          let scopes;
          try {
            scopes = parseScopes(scope);
          } catch (err) {
            throw new UsageError((err as Error).message);
          }
          const { record, secret } = await keys.create({ name, scopes, limits: limitsFrom(values, false), storeByDefault: bools.has('--store-by-default'), ...(tenant ? { tenant } : {}) });
          out({ ...record, key: secret }, `${secret}\n\n${describe(record)}\n\nThe key above is shown only now. Send it as "Authorization: Bearer <key>" or "x-api-key: <key>".`);
          return 0;
        }
        case 'list': {
          const list = await keys.list(tenant);
          out({ data: list }, list.length ? list.map(describe).join('\n') : 'No keys.');
          return 0;
        }
        case 'revoke':
        case 'limits':
        case 'store': {
          const id = positional[0];
          if (!id) throw new UsageError(`keys ${sub} needs a key id (cosyfleet keys list shows them)`);
          const setting = positional[1];
          if (sub === 'store' && setting !== 'on' && setting !== 'off') throw new UsageError(`keys store needs on or off after the key id, got ${setting === undefined ? 'nothing' : `"${setting}"`}`);
          const record =
            sub === 'revoke' ? await keys.revoke(id) : sub === 'limits' ? await keys.setLimits(id, limitsFrom(values, true)) : await keys.update(id, { storeByDefault: setting === 'on' });
          if (!record) {
            io.stderr.write(`No API key "${id}".\n`);
            return 1;
          }
          out(record, describe(record));
          return 0;
        }
        default:
          throw new UsageError(`unknown keys command "${sub}"`);
      }
    } finally {
      await stores.close();
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`cosyfleet keys: ${err.message}\n\n${HELP}`);
      return 2;
    }
    throw err;
  }
}
