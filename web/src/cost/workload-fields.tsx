// The Cost page's workload form: traffic (a day's requests or the busiest hour's rate, a daily
// shape in the person's time zone), text (length, languages), the latency SLO, where and on what
// it runs, and the strategies' settings. The planner is the validator: its refusal is shown in
// its words beside the field its `param` names, the keyboard taken there.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useI18n } from '../i18n/i18n.js';
import type { MessageKey } from '../i18n/en.js';
import {
  defaultCharsPerSecond,
  ENGINES,
  LANGUAGES,
  REGIONS,
  requestsPerDayFromPeak,
  SHAPE_IDS,
  STORAGE_FORMATS,
  utcWeights,
  type Draft,
  type LanguageRow,
  type ShapeId,
} from './workload-form.js';

export interface FormProblems {
  field: Readonly<Record<string, string>>;
  general: string | null;
}

/** Fields kept in the "more settings" section: it opens when one of them is refused. */
const MORE = ['name', 'growth', 'minInstances', 'headroom', 'idleMinutes', 'spotInterruptions', 'retentionDays', 'storageFormat', 'days', 'seed'];
const OFFSETS = Array.from({ length: 27 }, (_, i) => i - 12);

const offsetLabel = (h: number) => `UTC${h < 0 ? '−' : '+'}${String(Math.abs(h)).padStart(2, '0')}:00`;

export interface WorkloadFormProps {
  draft: Draft;
  onChange: (patch: Partial<Draft>) => void;
  problems: FormProblems;
  busy: boolean;
  onSubmit: () => void;
}

export function WorkloadForm({ draft, onChange, problems, busy, onSubmit }: WorkloadFormProps) {
  const { t, languageName } = useI18n();
  const formRef = useRef<HTMLFormElement>(null);
  const [moreOpen, setMoreOpen] = useState(false);

  useEffect(() => {
    const fields = Object.keys(problems.field);
    if (fields.length === 0) return;
    if (fields.some((f) => MORE.includes(f))) setMoreOpen(true);
    // After the details element has opened: the keyboard goes where the problem is.
    requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
  }, [problems]);

  const error = (field: string) =>
    problems.field[field] ? (
      <p id={`cost-${field}-error`} class="problem field-error" data-field={field}>
        {problems.field[field]}
      </p>
    ) : null;
  const a11y = (field: string, help?: boolean) => ({
    'aria-invalid': problems.field[field] ? ('true' as const) : ('false' as const),
    'aria-describedby': [help ? `cost-${field}-help` : '', problems.field[field] ? `cost-${field}-error` : ''].filter(Boolean).join(' ') || undefined,
  });
  const text = (field: keyof Draft & string, label: MessageKey, opts: { help?: MessageKey; list?: string; mono?: boolean } = {}) => (
    <Field field={field} label={t(label)} help={opts.help ? t(opts.help) : undefined} error={error(field)}>
      <input id={`cost-${field}`} type="text" class={opts.mono ? 'mono' : undefined} autocomplete="off" spellcheck={false} list={opts.list} value={String(draft[field])} {...a11y(field, !!opts.help)} onInput={(e) => onChange({ [field]: e.currentTarget.value })} />
    </Field>
  );
  const number = (field: keyof Draft & string, label: MessageKey, opts: { help?: MessageKey; step?: string; unit?: string } = {}) => (
    <Field field={field} label={t(label)} help={opts.help ? t(opts.help) : undefined} error={error(field)}>
      <span class="with-unit">
        <input id={`cost-${field}`} type="number" inputMode="decimal" step={opts.step ?? 'any'} value={String(draft[field])} {...a11y(field, !!opts.help)} onInput={(e) => onChange({ [field]: e.currentTarget.value })} />
        {opts.unit && <span class="unit">{opts.unit}</span>}
      </span>
    </Field>
  );

  const setLanguage = (i: number, patch: Partial<LanguageRow>) => onChange({ languages: draft.languages.map((l, j) => (j === i ? { ...l, ...patch } : l)) });
  const addLanguage = () => {
    const code = LANGUAGES.find((c) => !draft.languages.some((l) => l.code === c)) ?? 'en';
    onChange({ languages: [...draft.languages, { code, share: '0', charsPerSecond: String(defaultCharsPerSecond(code)) }] });
  };
  const peak = Number(draft.peakRate);
  const perDayFromPeak = draft.volume === 'peak' && draft.peakRate.trim() !== '' && Number.isFinite(peak) ? requestsPerDayFromPeak(peak, utcWeights(draft.shape, draft.utcOffset)) : null;

  return (
    <form
      ref={formRef}
      class="cost-form"
      noValidate
      aria-labelledby="cost-form-title"
      onSubmit={(e) => {
        e.preventDefault();
        if (!busy) onSubmit();
      }}
      data-testid="cost-form"
    >
      <h2 id="cost-form-title" class="visually-hidden">
        {t('cost.form.title')}
      </h2>
      <div class="cost-form-grid">
        <fieldset class="card">
          <legend>{t('cost.traffic')}</legend>
          <div class="field" role="radiogroup" aria-label={t('cost.volume')}>
            <label class="radio">
              <input type="radio" name="cost-volume" value="day" checked={draft.volume === 'day'} onChange={() => onChange({ volume: 'day' })} /> {t('cost.volume.day')}
            </label>
            <label class="radio">
              <input type="radio" name="cost-volume" value="peak" checked={draft.volume === 'peak'} onChange={() => onChange({ volume: 'peak' })} /> {t('cost.volume.peak')}
            </label>
          </div>
          {draft.volume === 'day'
            ? number('requestsPerDay', 'cost.requestsPerDay', { help: 'cost.requestsPerDayHelp' })
            : number('peakRate', 'cost.peakRate', { help: 'cost.peakRateHelp', unit: t('cost.unit.perSecond') })}
          {perDayFromPeak !== null && (
            <p class="note" data-testid="cost-per-day">
              {t('cost.perDayFromPeak', { n: perDayFromPeak.toLocaleString('en-US') })}
            </p>
          )}
          <Field field="shape" label={t('cost.shape')} help={t('cost.shapeHelp')} error={error('shape')}>
            <select id="cost-shape" value={draft.shape} {...a11y('shape', true)} onChange={(e) => onChange({ shape: e.currentTarget.value as ShapeId })}>
              {SHAPE_IDS.map((s) => (
                <option key={s} value={s}>
                  {t(`cost.shape.${s}`)}
                </option>
              ))}
            </select>
          </Field>
          <Field field="utcOffset" label={t('cost.timeZone')} error={null}>
            <select id="cost-utcOffset" value={String(draft.utcOffset)} onChange={(e) => onChange({ utcOffset: Number(e.currentTarget.value) })}>
              {OFFSETS.map((h) => (
                <option key={h} value={String(h)}>
                  {offsetLabel(h)}
                </option>
              ))}
            </select>
          </Field>
        </fieldset>

        <fieldset class="card">
          <legend>{t('cost.text')}</legend>
          {number('meanChars', 'cost.meanChars', { help: 'cost.meanCharsHelp', step: '1' })}
          <fieldset class="languages" aria-describedby={[problems.field.languages ? 'cost-languages-error' : '', 'cost-languages-help'].filter(Boolean).join(' ')}>
            <legend>{t('cost.languages')}</legend>
            <p id="cost-languages-help" class="help">
              {t('cost.languagesHelp')}
            </p>
            {draft.languages.map((l, i) => (
              <div class="language-row" key={i} data-row={i}>
                <Field field={`language-${i}-code`} label={t('cost.language.code')} error={error(`language-${i}-code`)}>
                  <select id={`cost-language-${i}-code`} value={l.code} {...a11y(`language-${i}-code`)} onChange={(e) => setLanguage(i, { code: e.currentTarget.value, charsPerSecond: String(defaultCharsPerSecond(e.currentTarget.value)) })}>
                    {LANGUAGES.map((code) => (
                      <option key={code} value={code}>
                        {languageName(code)} ({code})
                      </option>
                    ))}
                  </select>
                </Field>
                <Field field={`language-${i}-share`} label={t('cost.language.share')} error={error(`language-${i}-share`)}>
                  <span class="with-unit">
                    <input id={`cost-language-${i}-share`} type="number" inputMode="decimal" step="any" value={l.share} {...a11y(`language-${i}-share`)} onInput={(e) => setLanguage(i, { share: e.currentTarget.value })} />
                    <span class="unit">%</span>
                  </span>
                </Field>
                <Field field={`language-${i}-charsPerSecond`} label={t('cost.language.cps')} error={error(`language-${i}-charsPerSecond`)}>
                  <input id={`cost-language-${i}-charsPerSecond`} type="number" inputMode="decimal" step="any" value={l.charsPerSecond} {...a11y(`language-${i}-charsPerSecond`)} onInput={(e) => setLanguage(i, { charsPerSecond: e.currentTarget.value })} />
                </Field>
                {draft.languages.length > 1 && (
                  <button type="button" class="secondary" onClick={() => onChange({ languages: draft.languages.filter((_, j) => j !== i) })} aria-label={t('cost.language.remove', { language: languageName(l.code) })}>
                    {t('cost.language.removeShort')}
                  </button>
                )}
              </div>
            ))}
            {error('languages')}
            {draft.languages.length < LANGUAGES.length && (
              <button type="button" class="secondary" onClick={addLanguage}>
                {t('cost.language.add')}
              </button>
            )}
          </fieldset>
        </fieldset>

        <fieldset class="card">
          <legend>{t('cost.slo')}</legend>
          {number('streaming', 'cost.streaming', { help: 'cost.streamingHelp', unit: '%' })}
          {number('sloFirst', 'cost.sloFirst', { unit: 'ms', step: '1' })}
          {number('sloDone', 'cost.sloDone', { unit: 'ms', step: '1' })}
        </fieldset>

        <fieldset class="card">
          <legend>{t('cost.where')}</legend>
          {text('region', 'cost.region', { list: 'cost-regions', mono: true })}
          <datalist id="cost-regions">
            {REGIONS.map((r) => (
              <option key={r} value={r} />
            ))}
          </datalist>
          {text('engine', 'cost.engine', { list: 'cost-engines', mono: true })}
          <datalist id="cost-engines">
            {ENGINES.map((e) => (
              <option key={e} value={e} />
            ))}
          </datalist>
          {text('instanceTypes', 'cost.instanceTypes', { help: 'cost.instanceTypesHelp', mono: true })}
        </fieldset>
      </div>

      <details class="card more" open={moreOpen} onToggle={(e) => setMoreOpen(e.currentTarget.open)}>
        <summary>{t('cost.more')}</summary>
        <div class="cost-more-grid">
          {text('name', 'cost.name')}
          {number('growth', 'cost.growth', { unit: '%' })}
          {number('minInstances', 'cost.minInstances', { help: 'cost.minInstancesHelp', step: '1' })}
          {number('headroom', 'cost.headroom', { unit: '%' })}
          {number('idleMinutes', 'cost.idleMinutes', { help: 'cost.idleMinutesHelp', step: '1', unit: 'min' })}
          {number('spotInterruptions', 'cost.spotInterruptions', { help: 'cost.spotInterruptionsHelp' })}
          {number('retentionDays', 'cost.retentionDays', { step: '1' })}
          <Field field="storageFormat" label={t('cost.storageFormat')} error={error('storageFormat')}>
            <select id="cost-storageFormat" value={draft.storageFormat} {...a11y('storageFormat')} onChange={(e) => onChange({ storageFormat: e.currentTarget.value })}>
              {STORAGE_FORMATS.map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </select>
          </Field>
          {number('days', 'cost.days', { help: 'cost.daysHelp', step: '1' })}
          {number('seed', 'cost.seed', { step: '1' })}
        </div>
      </details>

      <div role="alert">{problems.general && <p class="problem">{problems.general}</p>}</div>
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t('cost.planning') : t('cost.plan')}
        </button>
      </div>
    </form>
  );
}

function Field({ field, label, help, error, children }: { field: string; label: string; help?: string | undefined; error: ComponentChildren; children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={`cost-${field}`}>{label}</label>
      {children}
      {help && (
        <p id={`cost-${field}-help`} class="help">
          {help}
        </p>
      )}
      {error}
    </div>
  );
}
