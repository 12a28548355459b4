// The Cost page's two charts as inline SVG (no chart library: the studio ships small): monthly
// cost of the cheapest options as bars, and the day's load against the recommended fleet's
// capacity. Each chart is an image with a title and a description for screen readers; the
// options table below carries the same numbers as text.
import { useI18n } from '../i18n/i18n.js';
import { hourlyCapacity } from './load.js';
import type { PlanOption } from './plan-api.js';

const WIDTH = 640;

export function money(n: number, digits = 0): string {
  return `$${n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

/** Axis ticks at a round step near a quarter of `max`, the last one at or above `max`. */
function ticks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const n = Math.ceil(max / step - 1e-9);
  return Array.from({ length: n + 1 }, (_, i) => Math.round(i * step * 1e6) / 1e6);
}

export function CostBars({ options, recommended, limit = 12 }: { options: readonly PlanOption[]; recommended: PlanOption | null; limit?: number }) {
  const { t } = useI18n();
  const shown = [...options].sort((a, b) => a.monthlyCostUsd - b.monthlyCostUsd).slice(0, limit);
  const row = 22;
  const left = 230;
  const right = 90;
  const top = 8;
  const height = top + shown.length * row + 24;
  const max = Math.max(1, ...shown.map((o) => o.monthlyCostUsd));
  const axis = ticks(max);
  const scale = (WIDTH - left - right) / (axis[axis.length - 1] ?? max);
  // Every bar, the longest included, ends inside the axis; its label goes right of it.
  const isRec = (o: PlanOption) => recommended !== null && o.instanceType === recommended.instanceType && o.strategy === recommended.strategy;
  return (
    <figure class="chart" data-testid="cost-bars">
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-labelledby="cost-bars-title cost-bars-desc">
        <title id="cost-bars-title">{t('cost.chart.bars', { n: shown.length })}</title>
        <desc id="cost-bars-desc">{shown.map((o) => `${o.instanceType} ${o.strategy} ${money(o.monthlyCostUsd)}${o.sloMet ? '' : ` (${t('cost.sloMissed')})`}`).join('; ')}</desc>
        {axis.map((v) => (
          <g key={v} class="grid">
            <line x1={left + v * scale} x2={left + v * scale} y1={top} y2={height - 20} />
            <text x={left + v * scale} y={height - 6} text-anchor="middle">
              {money(v)}
            </text>
          </g>
        ))}
        {shown.map((o, i) => {
          const y = top + i * row;
          return (
            <g key={`${o.instanceType}/${o.strategy}`} class={`bar${o.sloMet ? '' : ' missed'}${isRec(o) ? ' recommended' : ''}`} data-cost={Math.round(o.monthlyCostUsd)}>
              <text x={left - 8} y={y + row / 2 + 4} text-anchor="end">
                {isRec(o) ? '★ ' : ''}
                {o.instanceType} · {o.strategy}
              </text>
              <rect x={left} y={y + 3} width={Math.max(1, o.monthlyCostUsd * scale)} height={row - 6} rx={2} />
              <text x={left + Math.max(1, o.monthlyCostUsd * scale) + 6} y={y + row / 2 + 4}>
                {money(o.monthlyCostUsd)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>{t('cost.chart.barsCaption')}</figcaption>
    </figure>
  );
}

export function LoadVsCapacity({ load, option }: { load: readonly number[] | null; option: PlanOption }) {
  const { t } = useI18n();
  const capacity = hourlyCapacity(option);
  const left = 56;
  const right = 12;
  const top = 10;
  const height = 240;
  const bottom = 36;
  const max = Math.max(1e-9, ...capacity, ...(load ?? []));
  const axis = ticks(max);
  const yMax = axis[axis.length - 1] ?? max;
  const x = (h: number) => left + (h / 24) * (WIDTH - left - right);
  const y = (v: number) => top + (1 - v / yMax) * (height - top - bottom);
  // Hour h holds from h to h + 1: a step line.
  const steps = (values: readonly number[]) => values.flatMap((v, h) => [`${x(h)},${y(v)}`, `${x(h + 1)},${y(v)}`]).join(' ');
  const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const peakLoad = load ? Math.max(...load) : null;
  return (
    <figure class="chart" data-testid="cost-load">
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-labelledby="cost-load-title cost-load-desc">
        <title id="cost-load-title">{t('cost.chart.load', { type: option.instanceType, strategy: option.strategy })}</title>
        <desc id="cost-load-desc">
          {t('cost.chart.loadDesc', { capacity: fmt(Math.min(...capacity)) + '–' + fmt(Math.max(...capacity)), load: peakLoad === null ? '—' : fmt(peakLoad) })}
        </desc>
        {axis.map((v) => (
          <g key={v} class="grid">
            <line x1={left} x2={WIDTH - right} y1={y(v)} y2={y(v)} />
            <text x={left - 6} y={y(v) + 4} text-anchor="end">
              {fmt(v)}
            </text>
          </g>
        ))}
        {[0, 3, 6, 9, 12, 15, 18, 21, 24].map((h) => (
          <text key={h} class="tick" x={x(h)} y={height - bottom + 16} text-anchor="middle">
            {String(h).padStart(2, '0')}
          </text>
        ))}
        <text class="axis-title" x={(left + WIDTH - right) / 2} y={height - 4} text-anchor="middle">
          {t('cost.chart.hourUtc')}
        </text>
        <polyline class="capacity" points={steps(capacity)} />
        {load && <polyline class="load" points={steps(load)} />}
      </svg>
      <figcaption>
        <span class="key capacity">{t('cost.chart.capacity')}</span> <span class="key load">{t('cost.chart.loadLine')}</span> · {t('cost.chart.unit')}
      </figcaption>
    </figure>
  );
}
