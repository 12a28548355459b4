// Cost: a workload described in a form or uploaded as a file (YAML or JSON, as `cosyfleet plan`
// reads them) → POST /v1/plan → the recommendation, charts and the options table, and the same
// HTML report the CLI writes (`?format=html` for the workload just planned).
import { useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import { hourlyLoad } from '../cost/load.js';
import type { Api } from '../api/client.js';
import type { PlanResult } from '../cost/plan-api.js';
import { PlanView } from '../cost/plan-view.js';
import { WorkloadUpload } from '../cost/upload.js';
import { fieldOfParam, initialDraft, localUtcOffset, workloadOf, type Draft } from '../cost/workload-form.js';
import { WorkloadForm, type FormProblems } from '../cost/workload-fields.js';
import { useI18n } from '../i18n/i18n.js';
import '../cost/cost.css';

const NO_PROBLEMS: FormProblems = { field: {}, general: null };

interface Planned {
  result: PlanResult;
  /** The body that was planned: the report is asked for the very same one. */
  workload: unknown;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function CostPage({ api }: { api: Pick<Api, 'plan' | 'planReport'> }) {
  const { t } = useI18n();
  const [mode, setMode] = useState<'form' | 'file'>('form');
  const [draft, setDraft] = useState<Draft>(() => initialDraft(localUtcOffset()));
  const [problems, setProblems] = useState<FormProblems>(NO_PROBLEMS);
  const [fileProblem, setFileProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [planned, setPlanned] = useState<Planned | null>(null);
  const [downloading, setDownloading] = useState(false);
  const [downloadProblem, setDownloadProblem] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const running = useRef<AbortController | null>(null);
  const resultRef = useRef<HTMLDivElement>(null);

  const change = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    // A field's message describes its old value: it goes once the field changes.
    setProblems((p) => ({ general: p.general, field: Object.fromEntries(Object.entries(p.field).filter(([f]) => !(f in patch) && !(f.startsWith('language') && 'languages' in patch))) }));
  };

  const plan = (workload: unknown, refused: (err: unknown) => void) => {
    running.current?.abort();
    const abort = new AbortController();
    running.current = abort;
    setBusy(true);
    setAnnouncement(t('cost.planning'));
    setDownloadProblem(null);
    api.plan(workload, abort.signal).then(
      (result) => {
        if (abort.signal.aborted) return;
        setBusy(false);
        setPlanned({ result, workload });
        setAnnouncement(result.recommendation ? t('cost.announce.ready', { type: result.recommendation.instanceType, cost: Math.round(result.recommendation.monthlyCostUsd) }) : t('cost.rec.none'));
        requestAnimationFrame(() => resultRef.current?.querySelector<HTMLElement>('h2')?.focus());
      },
      (err: unknown) => {
        if (abort.signal.aborted) return;
        setBusy(false);
        setAnnouncement('');
        refused(err);
      },
    );
  };

  const submitForm = () => {
    setProblems(NO_PROBLEMS);
    plan(workloadOf(draft), (err) => {
      const field = err instanceof ApiError && err.status === 400 ? fieldOfParam(err.param, draft) : null;
      setProblems(field ? { field: { [field]: message(err) }, general: null } : { field: {}, general: message(err) });
    });
  };

  const submitFile = (workload: unknown) => {
    setFileProblem(null);
    plan(workload, (err) => setFileProblem(message(err)));
  };

  const download = () => {
    if (!planned) return;
    setDownloading(true);
    setDownloadProblem(null);
    api.planReport(planned.workload).then(
      (blob) => {
        setDownloading(false);
        const url = URL.createObjectURL(blob);
        const a = document.createElement('a');
        a.href = url;
        a.download = `cosyfleet-plan-${planned.result.workload.name.replace(/[^\w.-]+/g, '_').slice(0, 60) || 'workload'}.html`;
        document.body.append(a);
        a.click();
        a.remove();
        // The download has its own copy once it started.
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
      },
      (err: unknown) => {
        setDownloading(false);
        setDownloadProblem(message(err));
      },
    );
  };

  return (
    <div class="cost">
      <h1 tabIndex={-1}>{t('cost.title')}</h1>
      <p class="intro">{t('cost.intro')}</p>
      <p class="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
      <div class="cost-mode" role="radiogroup" aria-label={t('cost.mode')}>
        <label class="radio">
          <input type="radio" name="cost-mode" value="form" checked={mode === 'form'} onChange={() => setMode('form')} /> {t('cost.mode.form')}
        </label>
        <label class="radio">
          <input type="radio" name="cost-mode" value="file" checked={mode === 'file'} onChange={() => setMode('file')} /> {t('cost.mode.file')}
        </label>
      </div>
      {mode === 'form' ? (
        <WorkloadForm draft={draft} onChange={change} problems={problems} busy={busy} onSubmit={submitForm} />
      ) : (
        <WorkloadUpload busy={busy} problem={fileProblem} onChosen={() => setFileProblem(null)} onSubmit={submitFile} />
      )}
      <div ref={resultRef}>
        {planned && (
          <PlanView result={planned.result} load={hourlyLoad(planned.workload)} downloading={downloading} downloadProblem={downloadProblem} onDownload={download} />
        )}
      </div>
    </div>
  );
}
