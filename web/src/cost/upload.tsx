// A workload file instead of the form: read and parsed in the browser (workload-file.ts), then
// planned as it is. The file's own refusals (syntax) and the planner's (its fields, named by
// path in the message) are shown beside the file input.
import { useEffect, useRef, useState } from 'preact/hooks';
import { useI18n } from '../i18n/i18n.js';
import { readWorkloadFile } from './workload-file.js';

export interface UploadProps {
  busy: boolean;
  /** The planner's refusal of the last plan of this file. */
  problem: string | null;
  /** Another file was chosen: the refusal was about the one before. */
  onChosen: () => void;
  onSubmit: (workload: unknown, fileName: string) => void;
}

export function WorkloadUpload({ busy, problem, onChosen, onSubmit }: UploadProps) {
  const { t } = useI18n();
  const [loaded, setLoaded] = useState<{ name: string; workload: unknown } | null>(null);
  const [fileProblem, setFileProblem] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const shown = fileProblem ?? problem;

  useEffect(() => {
    if (problem) inputRef.current?.focus();
  }, [problem]);

  const choose = (file: File | undefined) => {
    setLoaded(null);
    setFileProblem(null);
    onChosen();
    if (!file) return;
    readWorkloadFile(file).then(
      (workload) => setLoaded({ name: file.name, workload }),
      (err: unknown) => setFileProblem(`${file.name}: ${err instanceof Error ? err.message : String(err)}`),
    );
  };

  const summary = (w: unknown) => {
    const o = (w ?? {}) as Record<string, unknown>;
    const languages = Array.isArray(o.language) ? o.language.map((l: unknown) => String((l as { code?: unknown } | null)?.code ?? '?')).join(', ') : '—';
    return t('cost.file.summary', { name: typeof o.name === 'string' ? o.name : '—', perDay: typeof o.requestsPerDay === 'number' ? o.requestsPerDay.toLocaleString('en-US') : '—', languages });
  };

  return (
    <form
      class="card cost-upload"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (loaded && !busy) onSubmit(loaded.workload, loaded.name);
      }}
      data-testid="cost-upload"
    >
      <div class="field">
        <label for="cost-file">{t('cost.file')}</label>
        <input
          id="cost-file"
          ref={inputRef}
          type="file"
          accept=".yaml,.yml,.json,application/json,application/yaml,text/yaml"
          aria-invalid={shown ? 'true' : 'false'}
          aria-describedby={['cost-file-help', shown ? 'cost-file-error' : ''].filter(Boolean).join(' ')}
          onChange={(e) => choose(e.currentTarget.files?.[0])}
        />
        <p id="cost-file-help" class="help">
          {t('cost.fileHelp')}
        </p>
        {shown && (
          <p id="cost-file-error" class="problem field-error" data-field="file">
            {shown}
          </p>
        )}
        {loaded && (
          <p class="note" data-testid="cost-file-summary">
            {summary(loaded.workload)}
          </p>
        )}
      </div>
      <div class="actions">
        <button type="submit" class="primary" disabled={busy || !loaded}>
          {busy ? t('cost.planning') : t('cost.plan')}
        </button>
      </div>
    </form>
  );
}
