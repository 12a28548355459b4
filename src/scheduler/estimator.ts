// Cost estimates for admission control: characters -> expected audio seconds -> expected engine
// time, from exponentially weighted moving averages of what the engine actually did. Estimates
// start from the engine's declared speed (capabilities.rtf; a pessimistic 0.5 for an engine that
// declares none) and follow the engine as it is measured.

/** Languages written without spaces carry far more audio per character. */
const DENSE_LANGUAGES = new Set(['cmn', 'yue', 'ja', 'ko']);

export interface CostEstimate {
  readonly chars: number;
  /** Expected audio length of the text at the requested speed. */
  readonly audioSeconds: number;
  /** Expected engine time (wall time of one engine call) for that audio. */
  readonly engineMs: number;
}

export interface EstimatorSnapshot {
  /** Audio seconds per character, by script class. */
  readonly secondsPerChar: { readonly spaced: number; readonly dense: number };
  /** Engine wall time / audio time. */
  readonly rtf: number;
  /** Fixed engine cost per call (thread hop, IPC, voice set-up), in ms. */
  readonly overheadMs: number;
  readonly samples: number;
}

export interface EstimatorOptions {
  /** Weight of each new observation (0..1]. */
  alpha?: number;
  initialRtf?: number;
  initialOverheadMs?: number;
}

export class ServiceRateEstimator {
  private spaced = 0.065; // ~15 characters per second of English speech
  private dense = 0.25; // ~4 characters per second of Chinese speech
  private rtf: number;
  private overheadMs: number;
  private samples = 0;
  private readonly alpha: number;

  constructor(options: EstimatorOptions = {}) {
    this.alpha = options.alpha ?? 0.2;
    // Without a declared speed, pessimistic until measured: treated as a slow GPU model.
    this.rtf = options.initialRtf ?? 0.5;
    this.overheadMs = options.initialOverheadMs ?? 5;
  }

  estimate(text: string, language: string, speed = 1): CostEstimate {
    const chars = [...text].length;
    const perChar = DENSE_LANGUAGES.has(language) ? this.dense : this.spaced;
    const audioSeconds = (chars * perChar) / (speed > 0 ? speed : 1);
    return { chars, audioSeconds, engineMs: this.overheadMs + audioSeconds * 1000 * this.rtf };
  }

  /** One finished engine call: its text, the audio it made and the engine time it took. */
  observe(text: string, language: string, speed: number, audioSeconds: number, engineMs: number): void {
    const chars = [...text].length;
    if (chars === 0 || audioSeconds <= 0 || !Number.isFinite(engineMs) || engineMs < 0) return;
    const a = this.samples === 0 ? 1 : this.alpha;
    const perChar = (audioSeconds * (speed > 0 ? speed : 1)) / chars;
    if (DENSE_LANGUAGES.has(language)) this.dense += a * (perChar - this.dense);
    else this.spaced += a * (perChar - this.spaced);
    // Split each call into a fixed part and a part proportional to audio: calls shorter than
    // half a second mostly measure the fixed part, longer ones the rate.
    if (audioSeconds < 0.5) this.overheadMs += a * (Math.max(0, engineMs - audioSeconds * 1000 * this.rtf) - this.overheadMs);
    else this.rtf += a * (Math.max(0, engineMs - this.overheadMs) / (audioSeconds * 1000) - this.rtf);
    this.samples++;
  }

  snapshot(): EstimatorSnapshot {
    return { secondsPerChar: { spaced: this.spaced, dense: this.dense }, rtf: this.rtf, overheadMs: this.overheadMs, samples: this.samples };
  }
}
