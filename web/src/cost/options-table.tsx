// Every option the planner sized, in its rank order (SLO-meeting first, each group by cost) or
// sorted by a column the person picks; a column header is a button, and aria-sort says which
// column orders the rows and which way.
import { useMemo, useState } from 'preact/hooks';
import { useI18n } from '../i18n/i18n.js';
import { money } from './charts.js';
import type { PlanOption } from './plan-api.js';

type SortKey = 'rank' | 'monthlyCostUsd' | 'costPerAudioHourUsd' | 'peakInstances' | 'p95FirstAudioMs';
type Direction = 'ascending' | 'descending';

export function ms(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '—';
  return v >= 10000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
}

export function OptionsTable({ options, recommended }: { options: readonly PlanOption[]; recommended: PlanOption | null }) {
  const { t } = useI18n();
  const [sort, setSort] = useState<{ key: SortKey; direction: Direction }>({ key: 'rank', direction: 'ascending' });

  const rows = useMemo(() => {
    const ranked = options.map((o, rank) => ({ o, rank }));
    if (sort.key === 'rank') return sort.direction === 'ascending' ? ranked : [...ranked].reverse();
    const key = sort.key;
    // Nothing streams: no first-audio figure, listed last either way.
    const v = (o: PlanOption) => o[key] ?? Number.POSITIVE_INFINITY;
    const sign = sort.direction === 'ascending' ? 1 : -1;
    return [...ranked].sort((a, b) => {
      const av = v(a.o);
      const bv = v(b.o);
      if (av === bv) return a.rank - b.rank;
      if (av === Number.POSITIVE_INFINITY) return 1;
      if (bv === Number.POSITIVE_INFINITY) return -1;
      return sign * (av - bv);
    });
  }, [options, sort]);

  const header = (key: SortKey, label: string, numeric = true) => {
    const active = sort.key === key;
    const next: Direction = active && sort.direction === 'ascending' ? 'descending' : 'ascending';
    return (
      <th scope="col" class={numeric ? 'num' : undefined} aria-sort={active ? sort.direction : 'none'}>
        <button type="button" class="sort" onClick={() => setSort({ key, direction: next })} data-sort={key}>
          {label}
          <span aria-hidden="true" class="sort-mark">
            {active ? (sort.direction === 'ascending' ? ' ▲' : ' ▼') : ' ↕'}
          </span>
        </button>
      </th>
    );
  };
  const isRec = (o: PlanOption) => recommended !== null && o.instanceType === recommended.instanceType && o.strategy === recommended.strategy;

  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-labelledby="cost-options-title">
      <table class="cost-options" data-testid="cost-options">
        <caption class="visually-hidden">{t('cost.options.caption')}</caption>
        <thead>
          <tr>
            {header('rank', '#')}
            <th scope="col">{t('cost.options.instance')}</th>
            <th scope="col">{t('cost.options.strategy')}</th>
            {header('monthlyCostUsd', t('cost.options.monthly'))}
            {header('costPerAudioHourUsd', t('cost.options.perAudioHour'))}
            {header('peakInstances', t('cost.options.peak'))}
            <th scope="col" class="num">
              {t('cost.options.mean')}
            </th>
            {header('p95FirstAudioMs', t('cost.options.firstAudio'))}
            <th scope="col" class="num">
              {t('cost.options.completion')}
            </th>
            <th scope="col">{t('cost.options.slo')}</th>
            <th scope="col" class="num">
              {t('cost.options.caveats')}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ o, rank }) => (
            <tr key={`${o.instanceType}/${o.strategy}`} class={o.sloMet ? undefined : 'missed'} aria-current={isRec(o) ? 'true' : undefined} data-instance={o.instanceType} data-strategy={o.strategy}>
              <td class="num">{rank + 1}</td>
              <th scope="row">
                {o.instanceType}
                <span class="sub">
                  {o.gpusPerInstance} × {o.gpu}
                </span>
              </th>
              <td>{o.strategy}</td>
              <td class="num" data-value={o.monthlyCostUsd}>
                {money(o.monthlyCostUsd)}
              </td>
              <td class="num">{money(o.costPerAudioHourUsd, 3)}</td>
              <td class="num">{o.peakInstances}</td>
              <td class="num">{o.meanInstances.toFixed(1)}</td>
              <td class="num">{ms(o.p95FirstAudioMs)}</td>
              <td class="num">{ms(o.p95CompletionMs)}</td>
              <td>{o.sloMet ? t('cost.sloMet') : t('cost.sloMissed')}</td>
              <td class="num">{o.caveats.length > 0 ? <span title={o.caveats.join('\n')}>{o.caveats.length}</span> : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
