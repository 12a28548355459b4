// SVG charts for the HTML report, drawn with Vega headless (as the planner's charts are):
// throughput and latency against concurrency. Loaded lazily: only the HTML report needs it.
import type { BenchRun } from './types.js';

export interface BenchCharts {
  throughput: string;
  latency: string;
}

/** null for an open-loop run (one rate, nothing to draw a curve through) or no measured level. */
export async function renderBenchCharts(run: BenchRun): Promise<BenchCharts | null> {
  const levels = run.levels.filter((l) => l.concurrency !== null && l.ok > 0);
  if (run.mode !== 'closed' || levels.length === 0) return null;
  const vega = await import('vega');
  const svg = async (spec: object) => new vega.View(vega.parse(spec as never), { renderer: 'none' }).toSVG();
  const concurrencies = levels.map((l) => l.concurrency as number);
  const x = { name: 'x', type: 'point', domain: concurrencies, range: 'width', padding: 0.5 };
  const saturation = run.saturation?.saturated ? [{ c: run.saturation.concurrency }] : [];

  const throughputRows = levels.map((l) => ({ c: l.concurrency, aps: Math.round(l.audioSecondsPerSecond * 100) / 100 }));
  const throughput = await svg({
    width: 560,
    height: 240,
    padding: 8,
    title: { text: 'Throughput vs concurrency (audio seconds per second; dashed: saturation)' },
    data: [
      { name: 't', values: throughputRows },
      { name: 'sat', values: saturation },
    ],
    scales: [x, { name: 'y', type: 'linear', domain: { data: 't', field: 'aps' }, range: 'height', nice: true, zero: true }],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'concurrent requests' },
      { orient: 'left', scale: 'y', title: 'audio-s / s' },
    ],
    marks: [
      { type: 'line', from: { data: 't' }, encode: { enter: { x: { scale: 'x', field: 'c' }, y: { scale: 'y', field: 'aps' }, stroke: { value: '#4c78a8' }, strokeWidth: { value: 2 } } } },
      { type: 'symbol', from: { data: 't' }, encode: { enter: { x: { scale: 'x', field: 'c' }, y: { scale: 'y', field: 'aps' }, fill: { value: '#4c78a8' }, size: { value: 40 } } } },
      { type: 'rule', from: { data: 'sat' }, encode: { enter: { x: { scale: 'x', field: 'c' }, y: { value: 0 }, y2: { signal: 'height' }, stroke: { value: '#888' }, strokeDash: { value: [6, 4] } } } },
    ],
  });

  const metrics = ['first audio p50', 'first audio p95', 'completion p50', 'completion p95'];
  const latencyRows = levels.flatMap((l) => [
    ...(l.firstAudioMs ? [{ c: l.concurrency, metric: metrics[0], ms: Math.max(1, Math.round(l.firstAudioMs.p50)) }, { c: l.concurrency, metric: metrics[1], ms: Math.max(1, Math.round(l.firstAudioMs.p95)) }] : []),
    ...(l.completionMs ? [{ c: l.concurrency, metric: metrics[2], ms: Math.max(1, Math.round(l.completionMs.p50)) }, { c: l.concurrency, metric: metrics[3], ms: Math.max(1, Math.round(l.completionMs.p95)) }] : []),
  ]);
  const latency = await svg({
    width: 560,
    height: 240,
    padding: 8,
    title: { text: 'Latency vs concurrency (successful requests)' },
    data: [{ name: 'lat', values: latencyRows }],
    scales: [
      x,
      { name: 'y', type: 'log', domain: { data: 'lat', field: 'ms' }, range: 'height', nice: true },
      { name: 'color', type: 'ordinal', domain: metrics, range: ['#4c78a8', '#4c78a8', '#e45756', '#e45756'] },
      { name: 'dash', type: 'ordinal', domain: metrics, range: [[1, 0], [6, 3], [1, 0], [6, 3]] },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'concurrent requests' },
      { orient: 'left', scale: 'y', title: 'ms (log scale)', format: ',d' },
    ],
    legends: [{ stroke: 'color', strokeDash: 'dash', orient: 'right', symbolType: 'stroke' }],
    marks: [
      {
        type: 'group',
        from: { facet: { data: 'lat', name: 'series', groupby: 'metric' } },
        marks: [
          {
            type: 'line',
            from: { data: 'series' },
            encode: { enter: { x: { scale: 'x', field: 'c' }, y: { scale: 'y', field: 'ms' }, stroke: { scale: 'color', field: 'metric' }, strokeDash: { scale: 'dash', field: 'metric' }, strokeWidth: { value: 2 } } },
          },
        ],
      },
    ],
  });
  return { throughput, latency };
}
