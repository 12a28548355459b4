// Renders a BenchRun: a terminal table, JSON (the run without its per-request records unless
// asked), markdown, and a standalone HTML page with the charts.
import type { BenchCharts } from './charts.js';
import type { BenchRun, LevelStats, Summary } from './types.js';

const ms = (s: Summary | null, k: 'p50' | 'p95' | 'p99' | 'mean') => (s ? (s[k] >= 10_000 ? `${(s[k] / 1000).toFixed(1)} s` : `${Math.round(s[k])}`) : '-');
const fixed = (x: number | null, d: number) => (x === null ? '-' : x.toFixed(d));

interface Column {
  head: string;
  cell: (l: LevelStats) => string;
  right?: boolean;
}

function columns(run: BenchRun): Column[] {
  const open = run.mode === 'open';
  return [
    open ? { head: 'rate/s', cell: (l) => fixed(l.rate, 2), right: true } : { head: 'conc', cell: (l) => String(l.concurrency), right: true },
    ...(open
      ? [
          { head: 'arrivals', cell: (l: LevelStats) => String(l.arrivals ?? 0), right: true },
          { head: 'dropped', cell: (l: LevelStats) => String(l.dropped ?? 0), right: true },
        ]
      : []),
    { head: 'window s', cell: (l) => (l.complete ? '' : '*') + l.windowS.toFixed(1), right: true },
    { head: 'ok', cell: (l) => String(l.ok), right: true },
    { head: 'errors', cell: (l) => String(l.errorCount), right: true },
    { head: '429', cell: (l) => String(l.status429), right: true },
    { head: 'aborted', cell: (l) => String(l.aborted), right: true },
    { head: 'audio-s/s', cell: (l) => l.audioSecondsPerSecond.toFixed(2), right: true },
    { head: 'req/s', cell: (l) => l.requestsPerSecond.toFixed(2), right: true },
    { head: 'RTF', cell: (l) => fixed(l.meanRtf, 3), right: true },
    { head: 'first p50 ms', cell: (l) => ms(l.firstAudioMs, 'p50'), right: true },
    { head: 'p95', cell: (l) => ms(l.firstAudioMs, 'p95'), right: true },
    { head: 'p99', cell: (l) => ms(l.firstAudioMs, 'p99'), right: true },
    { head: 'done p50 ms', cell: (l) => ms(l.completionMs, 'p50'), right: true },
    { head: 'p95', cell: (l) => ms(l.completionMs, 'p95'), right: true },
    { head: 'p99', cell: (l) => ms(l.completionMs, 'p99'), right: true },
  ];
}

function grid(run: BenchRun): { head: string[]; rows: string[][]; right: boolean[] } {
  const cols = columns(run);
  return { head: cols.map((c) => c.head), rows: run.levels.map((l) => cols.map((c) => c.cell(l))), right: cols.map((c) => !!c.right) };
}

function describeTexts(run: BenchRun): string {
  const t = run.texts;
  if (t.source === 'fixed') return `${t.chars} characters of ${t.language}`;
  return `workload ${t.name} (mean ${t.meanChars} characters; ${Object.entries(t.languages).map(([k, v]) => `${k} ${Math.round(v * 100)}%`).join(', ')})`;
}

/** The lines above and below the table, shared by every format. */
function summaryLines(run: BenchRun): string[] {
  const t = run.target;
  const lines = [
    `${run.tool}: ${run.mode} loop, POST ${t.path} at ${t.url} (${t.audioFormat}${t.voice ? `, voice ${t.voice}` : ''}${t.model ? `, model ${t.model}` : ''}), texts: ${describeTexts(run)}`,
    `Started ${run.startedAt}, ran ${run.wallS.toFixed(1)} s, stopped by ${run.stoppedBy}${run.saturation ? `: ${run.saturation.reason}` : ''}.`,
  ];
  if (run.saturation) {
    lines.push(run.saturation.concurrency === null ? 'No level ran cleanly.' : `${run.saturation.saturated ? 'Saturated at' : 'Highest clean level (not saturated):'} concurrency ${run.saturation.concurrency}.`);
  }
  const n = run.totals;
  lines.push(`Requests: ${n.arrivals} arrivals, ${n.sent} sent, ${n.ok} ok, ${n.errors} errors, ${n.status429} refused (429), ${n.aborted} aborted, ${n.dropped} dropped at the in-flight bound.`);
  const cps = Object.entries(run.charsPerSecond);
  if (cps.length > 0) lines.push(`Characters per audio second: ${cps.map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  return lines;
}

function errorLines(run: BenchRun): string[] {
  return run.levels.flatMap((l) => {
    const where = l.concurrency !== null ? `concurrency ${l.concurrency}` : `rate ${l.rate}/s`;
    const classes = Object.entries(l.errors).map(([k, v]) => `${k} x${v}${l.errorSamples[k] ? ` (${l.errorSamples[k]})` : ''}`);
    if (l.status429 > 0) classes.push(`http 429 x${l.status429}${l.errorSamples['http 429'] ? ` (${l.errorSamples['http 429']})` : ''}`);
    return classes.length > 0 ? [`${where}: ${classes.join('; ')}`] : [];
  });
}

const NOTE = 'Windows marked * were cut short (duration, request budget, hard stop or interrupt). Latencies are of successful requests; first = first audio byte, done = last byte.';

export function renderTable(run: BenchRun): string {
  const g = grid(run);
  const widths = g.head.map((h, i) => Math.max(h.length, ...g.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (g.right[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ').trimEnd();
  const errors = errorLines(run);
  return [
    ...summaryLines(run),
    '',
    line(g.head),
    line(widths.map((w) => '-'.repeat(w))),
    ...g.rows.map(line),
    '',
    ...(errors.length > 0 ? ['Errors:', ...errors.map((e) => `  ${e}`), ''] : []),
    NOTE,
    '',
  ].join('\n');
}

/** The run as JSON; `records` (one entry per request) only when asked, as they can be many. */
export function renderJson(run: BenchRun, opts: { records?: boolean } = {}): string {
  const { records, ...rest } = run;
  return JSON.stringify(opts.records ? { ...rest, records } : rest, null, 2) + '\n';
}

export function renderMarkdown(run: BenchRun): string {
  const g = grid(run);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const errors = errorLines(run);
  return [
    '# cosyfleet bench',
    '',
    ...summaryLines(run).map((l) => `${l}  `),
    '',
    `| ${g.head.map(esc).join(' | ')} |`,
    `|${g.right.map((r) => (r ? ' ---: ' : ' --- ')).join('|')}|`,
    ...g.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
    '',
    ...(errors.length > 0 ? ['## Errors', '', ...errors.map((e) => `- ${esc(e)}`), ''] : []),
    NOTE,
    '',
  ].join('\n');
}

export function renderHtml(run: BenchRun, charts: BenchCharts | null): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const g = grid(run);
  const errors = errorLines(run);
  const table =
    `<table><thead><tr>${g.head.map((h, i) => `<th${g.right[i] ? ' class="r"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>` +
    g.rows.map((row) => `<tr>${row.map((c, i) => `<td${g.right[i] ? ' class="r"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('') +
    '</tbody></table>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cosyfleet bench: ${esc(run.target.url)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2rem;max-width:1200px}table{border-collapse:collapse;margin:1rem 0}th,td{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}.r{text-align:right}figure{margin:1rem 0}</style>
</head><body>
<h1>cosyfleet bench</h1>
${summaryLines(run).map((l) => `<p>${esc(l)}</p>`).join('\n')}
${charts ? `<h2>Charts</h2>\n<figure>${charts.throughput}</figure>\n<figure>${charts.latency}</figure>` : ''}
<h2>Levels</h2>
${table}
${errors.length > 0 ? `<h2>Errors</h2><ul>${errors.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>` : ''}
<p><small>${esc(NOTE)}</small></p>
</body></html>
`;
}
