// Renders a PlanResult: a ranked terminal table, JSON, markdown and a standalone HTML page.
import type { Charts } from './charts.js';
import { fmtMs, type PlanOption, type PlanResult } from './plan.js';

const usd = (x: number, digits = 0) => `$${x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
const pct = (x: number) => `${Math.round(x * 100)}%`;
const num = (x: number, d = 1) => x.toFixed(d);

const COLUMNS: { head: string; cell: (o: PlanOption, i: number) => string; right?: boolean }[] = [
  { head: '#', cell: (_o, i) => String(i + 1), right: true },
  { head: 'instance', cell: (o) => o.instanceType },
  { head: 'strategy', cell: (o) => o.strategy },
  { head: '$/month', cell: (o) => usd(o.monthlyCostUsd), right: true },
  { head: '$/audio h', cell: (o) => usd(o.costPerAudioHourUsd, 3), right: true },
  { head: '$/1M chars', cell: (o) => usd(o.costPer1MCharsUsd, 2), right: true },
  { head: 'peak', cell: (o) => String(o.peakInstances), right: true },
  { head: 'mean', cell: (o) => num(o.meanInstances), right: true },
  { head: 'streams/GPU', cell: (o) => String(o.concurrencyPerGpu), right: true },
  { head: 'p95 first', cell: (o) => fmtMs(o.p95FirstAudioMs), right: true },
  { head: 'p95 done', cell: (o) => fmtMs(o.p95CompletionMs), right: true },
  { head: 'viol min', cell: (o) => String(o.sloViolationMinutes), right: true },
  { head: 'SLO', cell: (o) => (o.sloMet ? 'yes' : 'no') },
  { head: 'util', cell: (o) => pct(o.utilization), right: true },
  { head: 'profile', cell: (o) => o.profileSource },
  { head: 'caveats', cell: (o) => (o.caveats.length > 0 ? String(o.caveats.length) : ''), right: true },
];

/** Caveats by instance type (every strategy of a type shares them), in the options' rank order. */
function caveatsByInstance(r: PlanResult): [string, string[]][] {
  const seen = new Map<string, string[]>();
  for (const o of r.options) if (!seen.has(o.instanceType) && o.caveats.length > 0) seen.set(o.instanceType, o.caveats);
  return [...seen];
}

function textTable(head: string[], rows: string[][], right: boolean[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (right[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function mdTable(head: string[], rows: string[][], right: boolean[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [`| ${head.map(esc).join(' | ')} |`, `|${right.map((r) => (r ? ' ---: ' : ' --- ')).join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

function optionRows(r: PlanResult, limit: number): string[][] {
  return r.options.slice(0, limit).map((o, i) => COLUMNS.map((c) => c.cell(o, i)));
}

function recommendationLines(r: PlanResult): string[] {
  const rec = r.recommendation;
  if (!rec) return ['No plan meets the SLO. Relax the SLO, allow more instance types, or measure a faster profile (--profile).'];
  return [
    `Recommendation: ${rec.instanceType} (${rec.gpusPerInstance} x ${rec.gpu}), ${rec.strategy}: ${usd(rec.monthlyCostUsd)}/month ` +
      `(${usd(rec.computeMonthlyUsd)} compute, ${usd(rec.storageMonthlyUsd)} storage, ${usd(rec.deliveryMonthlyUsd)} delivery), ` +
      `${usd(rec.costPerAudioHourUsd, 3)} per audio hour, ${usd(rec.costPer1MCharsUsd, 2)} per 1M characters.`,
    `  Fleet: peak ${rec.peakInstances}, mean ${num(rec.meanInstances, 2)} instances; ${rec.concurrencyPerGpu} streams per GPU ` +
      `(${num(rec.capacityPerGpuAudioSecondsPerSecond)} audio-s/s, ${num(rec.capacityPerGpuRequestsPerSecond, 2)} requests/s per GPU); utilization ${pct(rec.utilization)}.`,
    `  Simulated: p95/p99 first audio ${fmtMs(rec.p95FirstAudioMs)}/${fmtMs(rec.p99FirstAudioMs)}, completion ${fmtMs(rec.p95CompletionMs)}/${fmtMs(rec.p99CompletionMs)}; ` +
      `${rec.sloViolationMinutes} SLO-violation minutes${rec.spotInterruptions ? `, ${rec.spotInterruptions} spot interruptions` : ''}.`,
    `  Why: ${rec.why}.`,
    `  Profile (${rec.profileSource}): ${rec.profileCitation}.`,
    ...(rec.caveats.length > 0 ? [`  Caveats: ${rec.caveats.join('; ')}.`] : []),
  ];
}

function sensitivityRows(r: PlanResult): { head: string[]; rows: string[][]; right: boolean[] } {
  const head = ['instance', 'strategy', 'scenario', '$/month', 'p95 first', 'p95 done', 'SLO'];
  const rows = r.sensitivity.map((s) => [s.instanceType, s.strategy, s.scenario, usd(s.monthlyCostUsd), fmtMs(s.p95FirstAudioMs), fmtMs(s.p95CompletionMs), s.sloMet ? 'yes' : 'no']);
  return { head, rows, right: [false, false, false, true, true, true, false] };
}

function summaryLine(r: PlanResult): string {
  const w = r.workload;
  return (
    `${w.name}: ${Math.round(w.requestsPerMonth).toLocaleString('en-US')} requests, ${(w.charsPerMonth / 1e6).toFixed(1)}M characters, ` +
    `${Math.round(w.audioHoursPerMonth).toLocaleString('en-US')} audio hours in ${r.days} days (${r.region}); peak ${num(w.peakRequestsPerSecond, 2)} requests/s. ` +
    `Languages: ${w.languages.map((l) => `${l.code} (${l.name}${l.tag === undefined ? '' : `, written "${l.tag}"`}) ${pct(l.share)}`).join(', ')}. ` +
    `SLO: p95 first audio ${w.slo.p95FirstAudioMs} ms, p95 completion ${w.slo.p95CompletionMs} ms, at most ${pct(w.maxViolationShare)} violation minutes. ` +
    `Catalog ${r.catalogVersion}, engine ${r.engine}, seed ${r.seed}.`
  );
}

export function renderTable(r: PlanResult, limit = 25): string {
  const out: string[] = [summaryLine(r), ''];
  out.push(textTable(COLUMNS.map((c) => c.head), optionRows(r, limit), COLUMNS.map((c) => !!c.right)));
  if (r.options.length > limit) out.push(`… ${r.options.length - limit} more plans (--format json lists all)`);
  out.push('', ...recommendationLines(r));
  const caveats = caveatsByInstance(r);
  if (caveats.length > 0) out.push('', 'Caveats (column "caveats" counts them):', ...caveats.flatMap(([t, cs]) => [`  ${t}:`, ...cs.map((c) => `    - ${c}`)]));
  if (r.excluded.length > 0) out.push('', 'Not sized:', ...r.excluded.map((e) => `  ${e.instanceType}: ${e.reason}`));
  out.push('', `Storage: ${r.storage.chosen.label}, ${usd(r.storage.chosen.monthlyUsd, 2)}/month; delivery ${num(r.delivery.egressGbPerMonth, 0)} GB, ${usd(r.delivery.monthlyUsd, 2)}/month.`);
  if (r.sensitivity.length > 0) {
    const s = sensitivityRows(r);
    out.push('', 'Sensitivity (the plan as sized, facing other traffic or spot prices):', textTable(s.head, s.rows, s.right));
  }
  if (r.assumptions.length > 0) out.push('', 'Where common assumptions differ from the data:', ...r.assumptions.map((a) => `  - ${a}`));
  return out.join('\n') + '\n';
}

export function renderJson(r: PlanResult): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e4) / 1e4 : v), 2) + '\n';
}

export interface ChartFiles {
  costByStrategy: string;
  fleetByHour: string;
  latencyVsLoad: string | null;
}

export function renderMarkdown(r: PlanResult, chartFiles?: ChartFiles): string {
  const out: string[] = ['# cosyfleet capacity plan', '', summaryLine(r), '', '## Recommendation', '', ...recommendationLines(r).map((l) => l.trim()).map((l) => `- ${l}`), ''];
  if (chartFiles) {
    out.push('## Charts', '', `![Cost by strategy](${chartFiles.costByStrategy})`, '', `![Fleet over the day](${chartFiles.fleetByHour})`, '');
    if (chartFiles.latencyVsLoad) out.push(`![Latency vs load](${chartFiles.latencyVsLoad})`, '');
  }
  out.push('## Plans, ranked', '', 'SLO-meeting plans first, each group by monthly cost.', '', mdTable(COLUMNS.map((c) => c.head), optionRows(r, r.options.length), COLUMNS.map((c) => !!c.right)), '');
  const caveats = caveatsByInstance(r);
  if (caveats.length > 0) out.push('## Caveats', '', ...caveats.flatMap(([t, cs]) => [`- **${t}**`, ...cs.map((c) => `  - ${c}`)]), '');
  if (r.excluded.length > 0) out.push('## Not sized', '', ...r.excluded.map((e) => `- **${e.instanceType}**: ${e.reason}`), '');
  out.push('## Storage and delivery', '', mdTable(['lifecycle', '$/month'], r.storage.candidates.map((c) => [c.label, usd(c.monthlyUsd, 2)]), [false, true]), '');
  out.push(`Chosen: ${r.storage.chosen.label}. Delivery: ${num(r.delivery.egressGbPerMonth, 0)} GB/month (${num(r.delivery.cdnGb, 0)} GB via CDN), ${usd(r.delivery.monthlyUsd, 2)}/month.`, '');
  if (r.sensitivity.length > 0) {
    const s = sensitivityRows(r);
    out.push('## Sensitivity', '', 'The plan as sized for the forecast, facing traffic ±50% or spot prices ±30%.', '', mdTable(s.head, s.rows, s.right), '');
  }
  out.push('## Where common assumptions differ from the data', '', ...r.assumptions.map((a) => `- ${a}`), '');
  out.push('## Profiles', '', ...[...new Map(r.options.map((o) => [o.gpu, o])).values()].map((o) => `- **${o.gpu}** (${o.profileSource}): ${o.profileCitation}`), '');
  return out.join('\n');
}

export function renderHtml(r: PlanResult, charts: Charts): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const table = (head: string[], rows: string[][], right: boolean[]) =>
    `<table><thead><tr>${head.map((h, i) => `<th${right[i] ? ' class="r"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((row) => `<tr>${row.map((c, i) => `<td${right[i] ? ' class="r"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('') +
    '</tbody></table>';
  const s = sensitivityRows(r);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cosyfleet capacity plan: ${esc(r.workload.name)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2rem;max-width:1200px}table{border-collapse:collapse;margin:1rem 0}th,td{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}.r{text-align:right}.rec{background:#f3f8ff;padding:.8rem 1rem;border-left:4px solid #4c78a8}figure{margin:1rem 0}</style>
</head><body>
<h1>cosyfleet capacity plan</h1>
<p>${esc(summaryLine(r))}</p>
<div class="rec">${recommendationLines(r).map((l) => `<p>${esc(l.trim())}</p>`).join('')}</div>
<h2>Charts</h2>
<figure>${charts.costByStrategy}</figure>
<figure>${charts.fleetByHour}</figure>
${charts.latencyVsLoad ? `<figure>${charts.latencyVsLoad}</figure>` : ''}
<h2>Plans, ranked</h2>
${table(COLUMNS.map((c) => c.head), optionRows(r, r.options.length), COLUMNS.map((c) => !!c.right))}
${caveatsByInstance(r).length > 0 ? `<h2>Caveats</h2><ul>${caveatsByInstance(r).map(([t, cs]) => `<li><b>${esc(t)}</b><ul>${cs.map((c) => `<li>${esc(c)}</li>`).join('')}</ul></li>`).join('')}</ul>` : ''}
${r.excluded.length > 0 ? `<h2>Not sized</h2><ul>${r.excluded.map((e) => `<li><b>${esc(e.instanceType)}</b>: ${esc(e.reason)}</li>`).join('')}</ul>` : ''}
<h2>Storage and delivery</h2>
${table(['lifecycle', '$/month'], r.storage.candidates.map((c) => [c.label, usd(c.monthlyUsd, 2)]), [false, true])}
<p>Chosen: ${esc(r.storage.chosen.label)}. Delivery: ${num(r.delivery.egressGbPerMonth, 0)} GB/month, ${usd(r.delivery.monthlyUsd, 2)}/month.</p>
${r.sensitivity.length > 0 ? `<h2>Sensitivity</h2>${table(s.head, s.rows, s.right)}` : ''}
<h2>Where common assumptions differ from the data</h2>
<ul>${r.assumptions.map((a) => `<li>${esc(a)}</li>`).join('')}</ul>
<p><small>Generated ${esc(r.generatedAt)} by cosyfleet plan. Model and formulas: docs/planner.md.</small></p>
</body></html>
`;
}
