// What the Speak page sent for each output it kept ("store": true), in the tab's sessionStorage
// keyed by output id, so History can offer "re-run with changes" for those (the service keeps
// the audio, not the request). A re-run is handed to the Speak page through one more key, read
// once when that page opens.
import type { TtsBody } from '../api/client.js';
import { safeStorage } from '../i18n/i18n.js';

const PREFIX = 'cosyfleet.request.';
const RERUN_KEY = 'cosyfleet.rerun';

function parse(raw: string | null): TtsBody | null {
  if (raw === null) return null;
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null && typeof (value as TtsBody).text === 'string' ? (value as TtsBody) : null;
  } catch {
    return null;
  }
}

export function keepRequest(outputId: string, body: TtsBody): void {
  safeStorage(() => sessionStorage.setItem(PREFIX + outputId, JSON.stringify(body)));
}

export function keptRequest(outputId: string): TtsBody | null {
  return parse(safeStorage(() => sessionStorage.getItem(PREFIX + outputId)));
}

export function forgetRequest(outputId: string): void {
  safeStorage(() => sessionStorage.removeItem(PREFIX + outputId));
}

/** Opens the Speak page with `body` in its form. */
export function rerun(body: TtsBody): void {
  safeStorage(() => sessionStorage.setItem(RERUN_KEY, JSON.stringify(body)));
  location.hash = '#/speak';
}

/** The request handed over by rerun(), once. */
export function takeRerun(): TtsBody | null {
  const body = parse(safeStorage(() => sessionStorage.getItem(RERUN_KEY)));
  safeStorage(() => sessionStorage.removeItem(RERUN_KEY));
  return body;
}
