// The planner's answer: what it planned for, the recommendation (or why there is none) with its
// caveats, the charts, the options table, what was not sized and the assumptions that differ
// from common belief, and the HTML report the CLI writes for the same workload.
import { useI18n } from '../i18n/i18n.js';
import { CostBars, LoadVsCapacity, money } from './charts.js';
import { ms, OptionsTable } from './options-table.js';
import type { PlanResult } from './plan-api.js';

export interface PlanViewProps {
  result: PlanResult;
  /** Mean requests/s per UTC hour of the workload planned (null: it does not say). */
  load: number[] | null;
  downloading: boolean;
  downloadProblem: string | null;
  onDownload: () => void;
}

export function PlanView({ result, load, downloading, downloadProblem, onDownload }: PlanViewProps) {
  const { t, languageName } = useI18n();
  const rec = result.recommendation;
  const w = result.workload;
  const chartOption = rec ?? result.options[0] ?? null;
  const slo = w.slo;

  return (
    <section class="cost-result" aria-labelledby="cost-result-title" data-testid="cost-result">
      <h2 id="cost-result-title" tabIndex={-1}>
        {t('cost.result.title', { name: w.name })}
      </h2>
      <p class="note" data-testid="cost-summary">
        {t('cost.result.summary', {
          requests: Math.round(w.requestsPerMonth).toLocaleString('en-US'),
          hours: Math.round(w.audioHoursPerMonth).toLocaleString('en-US'),
          days: result.days,
          peak: w.peakRequestsPerSecond.toFixed(2),
          region: result.region,
          catalog: result.catalogVersion,
          engine: result.engine,
          seed: result.seed,
        })}{' '}
        {w.languages.map((l) => `${languageName(l.code)} ${Math.round(l.share * 100)}%`).join(', ')}
      </p>

      {rec ? (
        <div class="card recommendation" data-testid="cost-recommendation">
          <h3>{t('cost.rec.title')}</h3>
          <dl class="facts">
            <div>
              <dt>{t('cost.rec.instance')}</dt>
              <dd data-fact="instance">
                {rec.instanceType} ({rec.gpusPerInstance} × {rec.gpu})
              </dd>
            </div>
            <div>
              <dt>{t('cost.rec.strategy')}</dt>
              <dd data-fact="strategy">{rec.strategy}</dd>
            </div>
            <div>
              <dt>{t('cost.rec.fleet')}</dt>
              <dd data-fact="fleet">{t('cost.rec.fleetValue', { peak: rec.peakInstances, mean: rec.meanInstances.toFixed(1), streams: rec.concurrencyPerGpu })}</dd>
            </div>
            <div>
              <dt>{t('cost.rec.monthly')}</dt>
              <dd data-fact="monthly">
                <strong>{money(rec.monthlyCostUsd)}</strong>{' '}
                <span class="sub">{t('cost.rec.parts', { compute: money(rec.computeMonthlyUsd), storage: money(rec.storageMonthlyUsd), delivery: money(rec.deliveryMonthlyUsd) })}</span>
              </dd>
            </div>
            <div>
              <dt>{t('cost.rec.perAudioHour')}</dt>
              <dd data-fact="perAudioHour">{money(rec.costPerAudioHourUsd, 3)}</dd>
            </div>
            <div>
              <dt>{t('cost.rec.per1MChars')}</dt>
              <dd data-fact="per1MChars">{money(rec.costPer1MCharsUsd, 2)}</dd>
            </div>
            <div>
              <dt>{t('cost.rec.latency')}</dt>
              <dd data-fact="latency">{t('cost.rec.latencyValue', { first: ms(rec.p95FirstAudioMs), firstSlo: ms(slo.p95FirstAudioMs), done: ms(rec.p95CompletionMs), doneSlo: ms(slo.p95CompletionMs) })}</dd>
            </div>
          </dl>
          <p class="why">{t('cost.rec.why', { why: rec.why })}</p>
          {rec.caveats.length > 0 && (
            <div class="warnings" data-testid="cost-caveats">
              <h4>{t('cost.rec.caveats')}</h4>
              <ul>
                {rec.caveats.map((c) => (
                  <li key={c}>{c}</li>
                ))}
              </ul>
            </div>
          )}
        </div>
      ) : (
        <div class="card recommendation none" data-testid="cost-recommendation" role="status">
          <h3>{t('cost.rec.none')}</h3>
          <p>{t('cost.rec.noneHelp')}</p>
        </div>
      )}

      <div class="actions">
        <button type="button" class="secondary" onClick={onDownload} disabled={downloading} data-testid="cost-download">
          {downloading ? t('cost.download.busy') : t('cost.download')}
        </button>
        <div role="alert">{downloadProblem && <p class="problem">{downloadProblem}</p>}</div>
      </div>

      {result.options.length > 0 && (
        <div class="cost-charts">
          <CostBars options={result.options} recommended={rec} />
          {chartOption && <LoadVsCapacity load={load} option={chartOption} />}
        </div>
      )}

      <h3 id="cost-options-title">{t('cost.options.title', { n: result.options.length })}</h3>
      <p class="help">{t('cost.options.help')}</p>
      <OptionsTable options={result.options} recommended={rec} />

      {result.excluded.length > 0 && (
        <div class="warnings" data-testid="cost-excluded">
          <h3>{t('cost.excluded')}</h3>
          <ul>
            {result.excluded.map((e) => (
              <li key={e.instanceType}>
                <b>{e.instanceType}</b>: {e.reason}
              </li>
            ))}
          </ul>
        </div>
      )}
      {result.assumptions.length > 0 && (
        <div class="warnings" data-testid="cost-assumptions">
          <h3>{t('cost.assumptions')}</h3>
          <ul>
            {result.assumptions.map((a) => (
              <li key={a}>{a}</li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
