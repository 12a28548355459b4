// SVG charts for the HTML/markdown reports, drawn with Vega (headless, renderer 'none'): cost
// by strategy, fleet size over the day, latency vs load. Loaded lazily: only reports need it.
import type { PlanResult } from './plan.js';

export interface Charts {
  costByStrategy: string;
  fleetByHour: string;
  latencyVsLoad: string | null;
}

const STRATEGY_COLORS = ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#e45756'];

export async function renderCharts(result: PlanResult): Promise<Charts> {
  const vega = await import('vega');
  const svg = async (spec: object) => new vega.View(vega.parse(spec as never), { renderer: 'none' }).toSVG();

  // Cost: the cheapest instance types (by their best plan), every strategy; plans that miss
  // the SLO are drawn faded.
  const types: string[] = [];
  for (const o of result.options) if (!types.includes(o.instanceType) && types.length < 6) types.push(o.instanceType);
  const costRows = result.options
    .filter((o) => types.includes(o.instanceType))
    .map((o) => ({ type: o.instanceType, strategy: o.strategy, cost: Math.round(o.monthlyCostUsd), met: o.sloMet ? 'meets SLO' : 'misses SLO' }));
  const costByStrategy = await svg({
    width: 640,
    height: 260,
    padding: 8,
    title: { text: 'Monthly cost by instance type and strategy (faded: misses the SLO)' },
    data: [{ name: 'cost', values: costRows }],
    scales: [
      { name: 'x', type: 'band', domain: types, range: 'width', padding: 0.2 },
      { name: 'y', type: 'linear', domain: { data: 'cost', field: 'cost' }, range: 'height', nice: true, zero: true },
      { name: 'color', type: 'ordinal', domain: ['always-on', 'schedule', 'autoscale', 'spot', 'scale-to-zero'], range: STRATEGY_COLORS },
    ],
    axes: [
      { orient: 'bottom', scale: 'x' },
      { orient: 'left', scale: 'y', title: 'USD / month', format: ',d' },
    ],
    legends: [{ fill: 'color', title: 'strategy', orient: 'right' }],
    marks: [
      {
        type: 'group',
        from: { facet: { data: 'cost', name: 'facet', groupby: 'type' } },
        encode: { enter: { x: { scale: 'x', field: 'type' } } },
        signals: [{ name: 'width', update: "bandwidth('x')" }],
        scales: [{ name: 'inner', type: 'band', range: 'width', domain: { data: 'facet', field: 'strategy' }, padding: 0.05 }],
        marks: [
          {
            type: 'rect',
            from: { data: 'facet' },
            encode: {
              enter: {
                x: { scale: 'inner', field: 'strategy' },
                width: { scale: 'inner', band: 1 },
                y: { scale: 'y', field: 'cost' },
                y2: { scale: 'y', value: 0 },
                fill: { scale: 'color', field: 'strategy' },
                fillOpacity: { signal: "datum.met === 'meets SLO' ? 1 : 0.3" },
                tooltip: { signal: "datum.strategy + ': $' + format(datum.cost, ',d')" },
              },
            },
          },
        ],
      },
    ],
  });

  const rec = result.recommendation ?? result.options[0];
  const fleetRows = rec
    ? result.options
        .filter((o) => o.instanceType === rec.instanceType)
        .flatMap((o) => [...o.fleetByHourOfDay, o.fleetByHourOfDay[23] ?? 0].map((n, hour) => ({ hour, instances: Math.round(n * 100) / 100, strategy: o.strategy })))
    : [];
  const fleetByHour = await svg({
    width: 640,
    height: 240,
    padding: 8,
    title: { text: `Mean instances by hour of day (UTC, month average): ${rec ? rec.instanceType : 'no plan'}` },
    data: [{ name: 'fleet', values: fleetRows }],
    scales: [
      { name: 'x', type: 'linear', domain: [0, 24], range: 'width' },
      { name: 'dash', type: 'ordinal', domain: ['always-on', 'schedule', 'autoscale', 'spot', 'scale-to-zero'], range: [[1, 0], [8, 3], [4, 3], [2, 2], [6, 2, 1, 2]] },
      { name: 'y', type: 'linear', domain: { data: 'fleet', field: 'instances' }, range: 'height', nice: true, zero: true },
      { name: 'color', type: 'ordinal', domain: ['always-on', 'schedule', 'autoscale', 'spot', 'scale-to-zero'], range: STRATEGY_COLORS },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'hour of day (UTC)', tickCount: 12 },
      { orient: 'left', scale: 'y', title: 'instances' },
    ],
    legends: [{ stroke: 'color', strokeDash: 'dash', title: 'strategy', orient: 'right', symbolType: 'stroke' }],
    marks: [
      {
        type: 'group',
        from: { facet: { data: 'fleet', name: 'series', groupby: 'strategy' } },
        marks: [
          {
            type: 'line',
            from: { data: 'series' },
            encode: { enter: { x: { scale: 'x', field: 'hour' }, y: { scale: 'y', field: 'instances' }, stroke: { scale: 'color', field: 'strategy' }, strokeDash: { scale: 'dash', field: 'strategy' }, strokeWidth: { value: 2 }, interpolate: { value: 'step-after' } } },
          },
        ],
      },
    ],
  });

  let latencyVsLoad: string | null = null;
  if (result.latencyVsLoad.length > 0) {
    const rows = result.latencyVsLoad.flatMap((r) => [
      ...(r.p95FirstAudioMs !== null ? [{ load: r.loadShare, ms: Math.round(r.p95FirstAudioMs), metric: 'p95 first audio' }] : []),
      ...(r.p95CompletionMs !== null ? [{ load: r.loadShare, ms: Math.round(r.p95CompletionMs), metric: 'p95 completion' }] : []),
    ]);
    const slo = [
      { metric: 'p95 first audio', ms: result.workload.slo.p95FirstAudioMs },
      { metric: 'p95 completion', ms: result.workload.slo.p95CompletionMs },
    ];
    latencyVsLoad = await svg({
      width: 640,
      height: 240,
      padding: 8,
      title: { text: `Latency vs load (analytic), ${result.latencyVsLoad[0]!.instanceType} at its peak fleet; dashed: SLO` },
      data: [
        { name: 'lat', values: rows },
        { name: 'slo', values: slo },
      ],
      scales: [
        { name: 'x', type: 'linear', domain: [0, 1], range: 'width' },
        { name: 'y', type: 'log', domain: { fields: [{ data: 'lat', field: 'ms' }, { data: 'slo', field: 'ms' }] }, range: 'height', nice: true },
        { name: 'color', type: 'ordinal', domain: ['p95 first audio', 'p95 completion'], range: ['#4c78a8', '#e45756'] },
      ],
      axes: [
        { orient: 'bottom', scale: 'x', title: 'utilization of the peak fleet', format: '%' },
        { orient: 'left', scale: 'y', title: 'ms (log scale)', format: ',d' },
      ],
      legends: [{ stroke: 'color', orient: 'right' }],
      marks: [
        {
          type: 'group',
          from: { facet: { data: 'lat', name: 'series', groupby: 'metric' } },
          marks: [
            {
              type: 'line',
              from: { data: 'series' },
              encode: { enter: { x: { scale: 'x', field: 'load' }, y: { scale: 'y', field: 'ms' }, stroke: { scale: 'color', field: 'metric' }, strokeWidth: { value: 2 } } },
            },
          ],
        },
        {
          type: 'rule',
          from: { data: 'slo' },
          encode: { enter: { x: { value: 0 }, x2: { signal: 'width' }, y: { scale: 'y', field: 'ms' }, stroke: { scale: 'color', field: 'metric' }, strokeDash: { value: [6, 4] } } },
        },
      ],
    });
  }
  return { costByStrategy, fleetByHour, latencyVsLoad };
}
