// Reads the fleet now and again every REFRESH_MS while the page is shown: the next read is
// scheduled when the last one has answered (never two at once), none is made while the tab is
// hidden (it resumes, at once, when the tab is shown again), and unmounting aborts the one in
// flight and stops the timer.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { adminApiOff, needsAdminKey, type Fleet, type FleetApi } from './api.js';

export const REFRESH_MS = 3000;

export type FleetView =
  | { state: 'loading' }
  | { state: 'ok'; fleet: Fleet }
  | { state: 'needs-admin'; message: string }
  | { state: 'off' }
  | { state: 'failed'; message: string; fleet: Fleet | null };

export function useFleet(api: FleetApi, minutes: number): { view: FleetView; refresh: () => void } {
  const [view, setView] = useState<FleetView>({ state: 'loading' });
  const last = useRef<Fleet | null>(null);
  const kick = useRef<() => void>(() => undefined);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight: AbortController | null = null;

    const read = () => {
      clearTimeout(timer);
      timer = undefined;
      if (!live || inFlight || document.hidden) return;
      const controller = new AbortController();
      inFlight = controller;
      // Without an admin key, or without an admin API, asking again will not change the answer.
      let settled = false;
      api.fleet(minutes, controller.signal).then(
        (fleet) => {
          last.current = fleet;
          if (live) setView({ state: 'ok', fleet });
        },
        (err: unknown) => {
          if (!live) return;
          settled = needsAdminKey(err) || adminApiOff(err);
          if (needsAdminKey(err)) setView({ state: 'needs-admin', message: err instanceof Error ? err.message : String(err) });
          else if (adminApiOff(err)) setView({ state: 'off' });
          // A failed read keeps the last picture on screen, marked as stale by the message.
          else setView({ state: 'failed', message: err instanceof Error ? err.message : String(err), fleet: last.current });
        },
      ).finally(() => {
        inFlight = null;
        if (live && !settled && !document.hidden) timer = setTimeout(read, REFRESH_MS);
      });
    };
    const shown = () => {
      if (!document.hidden && timer === undefined) read();
    };
    kick.current = read;
    document.addEventListener('visibilitychange', shown);
    read();
    return () => {
      live = false;
      clearTimeout(timer);
      inFlight?.abort();
      document.removeEventListener('visibilitychange', shown);
    };
  }, [api, minutes]);

  return { view, refresh: useCallback(() => kick.current(), []) };
}
