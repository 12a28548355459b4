// Recording a prompt with the microphone: a live level meter, a timer against the 3–30 s guide
// (it stops by itself at the limit), stop, play back, re-take. A finished take is encoded as a
// 16-bit PCM WAV in the page and handed to the form; nothing is uploaded from here.
import { useEffect, useRef, useState } from 'preact/hooks';
import { useI18n } from '../i18n/i18n.js';
import type { ChosenAudio } from './chosen-audio.js';
import { MicrophoneError, Recorder, type MicrophoneProblem } from './recorder.js';
import { PROMPT_GUIDE } from './verdicts.js';
import { encodeWav } from './wav.js';

type State =
  | { state: 'idle' }
  | { state: 'starting' }
  | { state: 'recording'; seconds: number }
  | { state: 'done'; seconds: number; url: string; peak: number }
  | { state: 'failed'; problem: MicrophoneProblem; message: string };

/** How fast the meter falls back after a peak (per 40 ms block): readable, not jittery. */
const METER_DECAY = 0.8;
/** A sample this close to full scale counts as clipping. */
const CLIP_LEVEL = 0.99;

const clock = (seconds: number) => `${Math.floor(seconds / 60)}:${(seconds % 60).toFixed(1).padStart(4, '0')}`;

export function RecordPanel({ onAudio, describedBy }: { onAudio: (audio: ChosenAudio | null) => void; describedBy?: string | undefined }) {
  const { t } = useI18n();
  const [state, setState] = useState<State>({ state: 'idle' });
  const [level, setLevel] = useState(0);
  const [clipping, setClipping] = useState(false);
  const recorderRef = useRef<Recorder | null>(null);
  const urlRef = useRef<string | null>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const onAudioRef = useRef(onAudio);
  onAudioRef.current = onAudio;

  const release = () => {
    recorderRef.current?.stop();
    recorderRef.current = null;
    if (urlRef.current) URL.revokeObjectURL(urlRef.current);
    urlRef.current = null;
  };
  useEffect(() => release, []);

  const stop = () => {
    const recorder = recorderRef.current;
    if (!recorder) return;
    recorderRef.current = null;
    const take = recorder.stop();
    const blob = new Blob([encodeWav(take.blocks, take.sampleRate)], { type: 'audio/wav' });
    const url = URL.createObjectURL(blob);
    urlRef.current = url;
    setLevel(0);
    setState({ state: 'done', seconds: take.seconds, url, peak: take.peak });
    onAudioRef.current({ blob, filename: 'recording.wav', sampleRate: take.sampleRate });
    buttonRef.current?.focus();
  };

  const start = () => {
    release();
    onAudioRef.current(null);
    setClipping(false);
    setLevel(0);
    setState({ state: 'starting' });
    Recorder.start({
      onBlock: (peak, seconds) => {
        setLevel((l) => Math.max(peak, l * METER_DECAY));
        if (peak >= CLIP_LEVEL) setClipping(true);
        setState((s) => (s.state === 'recording' || s.state === 'starting' ? { state: 'recording', seconds } : s));
        if (seconds >= PROMPT_GUIDE.maxSeconds) stop();
      },
    }).then(
      (recorder) => {
        recorderRef.current = recorder;
        setState((s) => (s.state === 'starting' ? { state: 'recording', seconds: 0 } : s));
      },
      (err: unknown) => {
        const problem = err instanceof MicrophoneError ? err.problem : 'other';
        setState({ state: 'failed', problem, message: err instanceof Error ? err.message : String(err) });
      },
    );
  };

  const seconds = state.state === 'recording' || state.state === 'done' ? state.seconds : 0;
  const recording = state.state === 'recording' || state.state === 'starting';
  const guide =
    seconds < PROMPT_GUIDE.minSeconds
      ? t('voices.record.tooShort', { min: PROMPT_GUIDE.minSeconds })
      : seconds < PROMPT_GUIDE.maxSeconds - 5
        ? t('voices.record.goodLength')
        : t('voices.record.nearLimit', { max: PROMPT_GUIDE.maxSeconds });

  return (
    <div class="record-panel" data-testid="record-panel" data-state={state.state}>
      <p id="record-guide" class="help">
        {t('voices.record.guide', { min: PROMPT_GUIDE.minSeconds, max: PROMPT_GUIDE.maxSeconds })}
      </p>
      <div class="actions">
        {recording ? (
          <button type="button" class="primary" ref={buttonRef} onClick={stop} disabled={state.state === 'starting'} aria-describedby="record-guide">
            {state.state === 'starting' ? t('voices.record.starting') : t('voices.record.stop')}
          </button>
        ) : (
          <button type="button" class={state.state === 'done' ? 'secondary' : 'primary'} ref={buttonRef} onClick={start} aria-describedby={[ 'record-guide', describedBy].filter(Boolean).join(' ')}>
            {state.state === 'done' ? t('voices.record.retake') : t('voices.record.start')}
          </button>
        )}
      </div>
      <div class="record-meter" aria-hidden={recording ? undefined : 'true'}>
        <label for="record-level">{t('voices.record.level')}</label>
        <meter id="record-level" min={0} max={1} low={0.05} high={CLIP_LEVEL - 0.04} optimum={0.5} value={level} data-testid="record-level" />
        <p class="record-time" data-testid="record-time" data-seconds={seconds.toFixed(2)}>
          <span class="record-clock">{clock(seconds)}</span> / {clock(PROMPT_GUIDE.maxSeconds)}
          {recording && <span class="record-hint"> · {guide}</span>}
        </p>
      </div>
      {/* Announced at the changes that matter, not every tenth of a second. */}
      <p class="visually-hidden" role="status" aria-live="polite">
        {state.state === 'recording' ? t('voices.record.recording') : state.state === 'done' ? t('voices.record.done', { seconds: state.seconds.toFixed(1) }) : ''}
      </p>
      {clipping && (
        <p class="problem" data-testid="record-clipping">
          {t('voices.record.clipping')}
        </p>
      )}
      {state.state === 'done' && (
        <div class="take">
          <p>{t('voices.record.done', { seconds: state.seconds.toFixed(1) })}</p>
          {state.peak < 0.02 && <p class="problem">{t('voices.record.quiet')}</p>}
          <audio controls src={state.url} aria-label={t('voices.record.playback')} data-testid="record-playback" />
        </div>
      )}
      {state.state === 'failed' && (
        <p class="problem" role="alert" data-testid="record-problem">
          {t(`voices.mic.${state.problem}`)} <span class="help">({state.message})</span>
        </p>
      )}
    </div>
  );
}
