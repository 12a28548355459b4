// `cosyfleet tenants …`: tenant policies (result cache mode, output retention) on the service's
// own database, like `cosyfleet keys`, so they can be set before the service runs or while it
// does (every node sees a change within POLICY_CACHE_MS). Settings flags (--data-dir,
// --database-url …) pass through to the configuration; the server settings shown as defaults are
// this command's configuration (environment, --config), which should be the service's.
import { loadConfig } from '../config/config.js';
import { OUTPUT_RETENTION_DAYS_MAX, RESULT_CACHE_MODES } from '../config/settings.js';
import type { ResultCacheMode } from '../outputs/result-cache.js';
import { openStores } from '../storage/stores.js';
import { TENANT_PATTERN } from './principal.js';
import { POLICY_CACHE_MS, TenantPolicyService, type TenantPolicyChange, type TenantPolicyView } from './tenant-policies.js';

export interface TenantsIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

const HELP = `Usage:
  cosyfleet tenants list [--json]
  cosyfleet tenants show TENANT [--json]
  cosyfleet tenants set TENANT [--result-cache off|seeded|always|default] [--output-retention-days N|default] [--json]
  cosyfleet tenants reset TENANT [--json]

A tenant without a policy follows the server's RESULT_CACHE and OUTPUT_RETENTION_DAYS; "default"
returns one field to the server's setting, "reset" both. --output-retention-days 0 keeps the
tenant's new outputs until they are deleted (outputs already stored keep their expiry).

Works on the service's database (DATA_DIR, or DATABASE_URL; settings flags such as --data-dir
and --database-url apply). Running nodes apply a change within ${POLICY_CACHE_MS / 1000} s.
`;

class UsageError extends Error {}

const POLICY_FLAGS = ['--result-cache', '--output-retention-days'] as const;

function parseChange(values: Map<string, string>): TenantPolicyChange {
  const change: { resultCache?: ResultCacheMode | null; outputRetentionDays?: number | null } = {};
  const mode = values.get('--result-cache');
  if (mode !== undefined) {
    if (mode === 'default') change.resultCache = null;
    else if ((RESULT_CACHE_MODES as readonly string[]).includes(mode)) change.resultCache = mode as ResultCacheMode;
    else throw new UsageError(`--result-cache must be one of ${RESULT_CACHE_MODES.join(', ')} or default, got "${mode}"`);
  }
  const days = values.get('--output-retention-days');
  if (days !== undefined) {
    if (days === 'default') change.outputRetentionDays = null;
    else if (/^\d+$/.test(days) && Number(days) <= OUTPUT_RETENTION_DAYS_MAX) change.outputRetentionDays = Number(days);
    else throw new UsageError(`--output-retention-days must be a whole number of days from 0 to ${OUTPUT_RETENTION_DAYS_MAX} or default, got "${days}"`);
  }
  return change;
}

const days = (n: number) => (n === 0 ? 'kept until deleted' : `${n} day${n === 1 ? '' : 's'}`);

function describe(v: TenantPolicyView): string {
  const cache = v.resultCache === null ? `${v.effective.resultCache} (server default)` : `${v.resultCache} (server: ${v.defaults.resultCache})`;
  const retention =
    v.outputRetentionDays === null ? `${days(v.effective.outputRetentionDays)} (server default)` : `${days(v.outputRetentionDays)} (server: ${days(v.defaults.outputRetentionDays)})`;
  return `${v.tenant}  result cache ${cache}; output retention ${retention}; ${v.updatedAt === null ? 'no policy' : `updated ${v.updatedAt}`}`;
}

export async function runTenantsCommand(argv: readonly string[], io: TenantsIo): Promise<number> {
  const [sub, ...args] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(HELP);
    return sub === undefined ? 2 : 0;
  }
  try {
    const values = new Map<string, string>();
    const positional: string[] = [];
    const settings: string[] = [];
    let json = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as string;
      const next = args[i + 1];
      if (a === '--json') json = true;
      else if ((POLICY_FLAGS as readonly string[]).includes(a)) {
        if (next === undefined || next.startsWith('--')) throw new UsageError(`${a} needs a value`);
        values.set(a, next);
        i++;
      } else if (a.startsWith('--')) {
        settings.push(a);
        if (next !== undefined && !next.startsWith('--')) settings.push(args[++i] as string);
      } else positional.push(a);
    }
    if (!['list', 'show', 'set', 'reset'].includes(sub)) throw new UsageError(`unknown tenants command "${sub}"`);
    const tenant = positional[0];
    if (sub !== 'list') {
      if (tenant === undefined) throw new UsageError(`tenants ${sub} needs a tenant name`);
      if (!TENANT_PATTERN.test(tenant)) throw new UsageError(`a tenant is 1–64 lower-case letters, digits, "-" or "_", got "${tenant}"`);
    }
    const change = parseChange(values);
    if (sub === 'set' && change.resultCache === undefined && change.outputRetentionDays === undefined) throw new UsageError('tenants set needs --result-cache, --output-retention-days or both');
    if (sub !== 'set' && values.size > 0) throw new UsageError(`${[...values.keys()].join(', ')}: only for tenants set`);
    const config = loadConfig({ env: io.env, argv: settings });
    const stores = await openStores(config);
    try {
      const tenants = new TenantPolicyService(stores.tenants, { resultCache: config.resultCache, outputRetentionDays: config.outputRetentionDays });
      const out = (value: unknown, text: string) => io.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
      if (sub === 'list') {
        const list = await tenants.list();
        const defaults = `Tenants without a policy: result cache ${config.resultCache}, output retention ${days(config.outputRetentionDays)}.`;
        out({ data: list, defaults: tenants.defaults }, list.length ? `${list.map(describe).join('\n')}\n${defaults}` : `No tenant has a policy. ${defaults}`);
        return 0;
      }
      const name = tenant as string;
      const view = sub === 'show' ? await tenants.view(name) : sub === 'set' ? await tenants.set(name, change) : await tenants.reset(name);
      out(view, describe(view));
      return 0;
    } finally {
      await stores.close();
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`cosyfleet tenants: ${err.message}\n\n${HELP}`);
      return 2;
    }
    throw err;
  }
}
