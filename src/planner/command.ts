// The `cosyfleet plan` and `cosyfleet prices` sub-commands (wired in src/cli.ts). They write
// through an injected `io` so tests can run them in-process as well as in a child process.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { bundledCatalog, loadCatalogFile, type Catalog } from './catalog.js';
import { plan, type PlanResult } from './plan.js';
import { buildCatalog, fetchPrices, awsPriceSource, type PriceSource } from './prices.js';
import { loadUserProfiles } from './profiles.js';
import { renderHtml, renderJson, renderMarkdown, renderTable } from './report.js';
import { STRATEGIES, type StrategyName } from './simulate.js';
import { PlannerInputError } from './validate.js';
import { loadWorkloadFile, WORKLOAD_LIMITS } from './workload.js';

export interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean; columns?: number };
}

export const PLAN_USAGE = `Usage: cosyfleet plan <workload.yaml|json> [options]

  --format table|json|md|html   output format (default table)
  --out FILE                    write the report to FILE (md: charts go to FILE's folder as SVG)
  --catalog FILE                prices/instances catalog (default: the bundled one)
  --profile FILE                a measured engine profile (JSON); may be repeated
  --strategies LIST             comma-separated subset of ${STRATEGIES.join(', ')}
  --seed N                      random seed for the simulation (default: the workload's, else 1)
  --no-progress                 no progress bar on stderr
`;

export const PRICES_USAGE = `Usage: cosyfleet prices refresh [options]

  --region REGION        region to price (default us-east-1; the Price List API is always called in us-east-1)
  --catalog FILE         catalog to start from (default: the bundled one)
  --instance-types LIST  comma-separated subset of the catalog's instance types
  --out FILE             where to write the new catalog (default ./catalog-YYYY-MM-DD.json)

Credentials come from the usual AWS chain (environment, profile, instance role). Needs
pricing:GetProducts and ec2:DescribeSpotPriceHistory.
`;

export type Flags = Map<string, string[]>;

/** `--name value`, `--name=value`, bare booleans and repeatable flags; unknown names are problems. */
export function parseArgs(argv: readonly string[], known: Record<string, 'value' | 'bool' | 'multi'>): { positional: string[]; flags: Flags; problems: string[] } {
  const positional: string[] = [];
  const flags: Flags = new Map();
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const kind = known[name];
    if (!kind) {
      problems.push(`unknown option ${name}`);
      continue;
    }
    let value = 'true';
    if (kind !== 'bool') {
      if (eq > 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i] as string;
      else {
        problems.push(`${name} needs a value`);
        continue;
      }
    }
    flags.set(name, [...(kind === 'multi' ? (flags.get(name) ?? []) : []), value]);
  }
  return { positional, flags, problems };
}

const one = (flags: Flags, name: string) => flags.get(name)?.[0];

export async function runPlanCommand(argv: readonly string[], io: Io): Promise<number> {
  const { positional, flags, problems } = parseArgs(argv, {
    '--format': 'value', '--out': 'value', '--catalog': 'value', '--profile': 'multi', '--strategies': 'value', '--seed': 'value', '--no-progress': 'bool', '--help': 'bool',
  });
  if (flags.has('--help')) {
    io.stdout.write(PLAN_USAGE);
    return 0;
  }
  const format = one(flags, '--format') ?? 'table';
  if (!['table', 'json', 'md', 'html'].includes(format)) problems.push(`--format must be table, json, md or html, got ${format}`);
  if (positional.length !== 1) problems.push(positional.length === 0 ? 'missing the workload file' : `one workload file, got ${positional.join(' ')}`);
  let strategies: StrategyName[] | undefined;
  const s = one(flags, '--strategies');
  if (s) {
    const list = s.split(',').map((x) => x.trim()).filter(Boolean);
    const bad = list.filter((x) => !(STRATEGIES as readonly string[]).includes(x));
    if (bad.length > 0 || list.length === 0) problems.push(`--strategies: unknown ${bad.join(', ') || '(empty)'}; choose from ${STRATEGIES.join(', ')}`);
    strategies = list as StrategyName[];
  }
  const seedText = one(flags, '--seed');
  const seed = seedText === undefined ? undefined : Number(seedText);
  if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0 && seed <= WORKLOAD_LIMITS.seed)) problems.push(`--seed must be a whole number from 0 to ${WORKLOAD_LIMITS.seed}, got ${seedText}`);
  if (problems.length > 0) {
    io.stderr.write(`${problems.map((p) => `cosyfleet plan: ${p}`).join('\n')}\n\n${PLAN_USAGE}`);
    return 2;
  }
  try {
    const workload = loadWorkloadFile(positional[0] as string);
    if (seed !== undefined) workload.planning.seed = seed;
    const catalogPath = one(flags, '--catalog');
    const catalog: Catalog = catalogPath ? loadCatalogFile(catalogPath) : bundledCatalog();
    const userProfiles = (flags.get('--profile') ?? []).flatMap((p) => loadUserProfiles(p));
    const progress = !flags.has('--no-progress') && io.stderr.isTTY ? progressBar(io) : undefined;
    const result = plan({ workload, catalog, userProfiles, ...(strategies ? { strategies } : {}), ...(progress ? { onProgress: progress.update } : {}) });
    progress?.done();
    const out = one(flags, '--out');
    const text = await render(result, format, out);
    if (out) {
      writeFileSync(out, text);
      io.stderr.write(`wrote ${out}\n`);
    } else io.stdout.write(text);
    return result.recommendation ? 0 : 3;
  } catch (err) {
    if (err instanceof PlannerInputError) {
      io.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

async function render(result: PlanResult, format: string, out: string | undefined): Promise<string> {
  switch (format) {
    case 'json':
      return renderJson(result);
    case 'md': {
      if (!out) return renderMarkdown(result);
      const { renderCharts } = await import('./charts.js');
      const charts = await renderCharts(result);
      const dir = join(dirname(out), `${basename(out).replace(/\.[^.]*$/, '')}-charts`);
      mkdirSync(dir, { recursive: true });
      const files = {
        costByStrategy: 'cost-by-strategy.svg',
        fleetByHour: 'fleet-by-hour.svg',
        latencyVsLoad: charts.latencyVsLoad ? 'latency-vs-load.svg' : null,
      };
      writeFileSync(join(dir, files.costByStrategy), charts.costByStrategy);
      writeFileSync(join(dir, files.fleetByHour), charts.fleetByHour);
      if (charts.latencyVsLoad && files.latencyVsLoad) writeFileSync(join(dir, files.latencyVsLoad), charts.latencyVsLoad);
      const rel = (f: string) => `${basename(dir)}/${f}`;
      return renderMarkdown(result, { costByStrategy: rel(files.costByStrategy), fleetByHour: rel(files.fleetByHour), latencyVsLoad: files.latencyVsLoad ? rel(files.latencyVsLoad) : null });
    }
    case 'html': {
      const { renderCharts } = await import('./charts.js');
      return renderHtml(result, await renderCharts(result));
    }
    default:
      return renderTable(result);
  }
}

/** A one-line progress bar on stderr, redrawn in place (only when stderr is a terminal). */
export function progressBar(io: Io): { update: (done: number, total: number) => void; done: () => void } {
  let last = -1;
  return {
    update(done, total) {
      const width = Math.max(10, Math.min(40, (io.stderr.columns ?? 80) - 40));
      const filled = Math.round((done / total) * width);
      if (filled === last && done !== total) return;
      last = filled;
      io.stderr.write(`\rsimulating [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} plans`);
    },
    done() {
      io.stderr.write('\r\x1b[K');
    },
  };
}

export async function runPricesCommand(argv: readonly string[], io: Io, source?: PriceSource, now = new Date()): Promise<number> {
  const [sub, ...rest] = argv;
  const { positional, flags, problems } = parseArgs(rest, { '--region': 'value', '--catalog': 'value', '--instance-types': 'value', '--out': 'value', '--help': 'bool' });
  if (sub === '--help' || sub === 'help' || flags.has('--help')) {
    io.stdout.write(PRICES_USAGE);
    return 0;
  }
  if (sub !== 'refresh') problems.push(sub ? `unknown sub-command ${sub}` : 'missing the sub-command (refresh)');
  if (positional.length > 0) problems.push(`unexpected argument ${positional.join(' ')}`);
  const region = one(flags, '--region') ?? 'us-east-1';
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) problems.push(`--region: not a region name: ${region}`);
  if (problems.length > 0) {
    io.stderr.write(`${problems.map((p) => `cosyfleet prices: ${p}`).join('\n')}\n\n${PRICES_USAGE}`);
    return 2;
  }
  try {
    const catalogPath = one(flags, '--catalog');
    const base = catalogPath ? loadCatalogFile(catalogPath) : bundledCatalog();
    const wanted = one(flags, '--instance-types')?.split(',').map((t) => t.trim()).filter(Boolean) ?? base.instances.map((i) => i.instanceType);
    const unknown = wanted.filter((t) => !base.instances.some((i) => i.instanceType === t));
    if (unknown.length > 0) throw new PlannerInputError('arguments', unknown.map((t) => `--instance-types: ${t} is not in catalog ${base.version}`));
    const aws = source ?? (await awsPriceSource(region));
    let fetched;
    try {
      fetched = await fetchPrices(aws, wanted, region, now);
    } catch (err) {
      // No credentials, no network, access denied: say what AWS said, without a stack trace.
      const e = err as { name?: string; message?: string };
      io.stderr.write(`cosyfleet prices: AWS request failed (${e.name ?? 'Error'}): ${e.message ?? String(err)}\nNo catalog was written.\n`);
      return 1;
    } finally {
      (aws as { destroy?: () => void }).destroy?.();
    }
    const result = buildCatalog(base, region, fetched.onDemand, fetched.spot, now);
    const out = one(flags, '--out') ?? `catalog-${result.catalog.version}.json`;
    writeFileSync(out, JSON.stringify(result.catalog, null, 2) + '\n');
    io.stdout.write(
      `wrote ${out} (catalog ${result.catalog.version}, ${region}): ${result.updated.length} instance types priced` +
        (result.missing.some((t) => wanted.includes(t)) ? `; no answer for ${result.missing.filter((t) => wanted.includes(t)).join(', ')} (kept their dated prices)` : '') +
        '\n' + result.warnings.map((w) => `  warning: ${w}\n`).join(''),
    );
    return 0;
  } catch (err) {
    if (err instanceof PlannerInputError) {
      io.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
