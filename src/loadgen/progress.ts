// The one-line progress display on stderr (only when it is a terminal): the level, its elapsed
// time against its plan, and the counts so far, redrawn in place a few times a second.
import type { BenchEvent } from './types.js';

interface Terminal {
  write(s: string): unknown;
  columns?: number;
}

const REDRAW_MS = 200;

export function progressLine(out: Terminal): { onEvent: (e: BenchEvent) => void; done: () => void } {
  let label = 'starting';
  let levelStart = 0;
  let plannedS = 1;
  const t0 = Date.now();
  let ok = 0;
  let failed = 0;
  let refused = 0;
  let inFlight = 0;
  let dropped = 0;
  let stopping = '';
  const draw = () => {
    const width = Math.max(10, Math.min(30, (out.columns ?? 80) - 70));
    const elapsed = (Date.now() - t0) / 1000 - levelStart;
    const filled = Math.max(0, Math.min(width, Math.round((elapsed / plannedS) * width)));
    const counts = `ok ${ok}  errors ${failed}  429 ${refused}  in flight ${inFlight}${dropped > 0 ? `  dropped ${dropped}` : ''}`;
    out.write(`\r\x1b[K${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${elapsed.toFixed(0)}/${plannedS.toFixed(0)} s  ${counts}${stopping}`);
  };
  const timer = setInterval(draw, REDRAW_MS);
  timer.unref();
  return {
    onEvent(e) {
      switch (e.type) {
        case 'level-start':
          label = e.concurrency !== null ? `concurrency ${e.concurrency}` : `rate ${e.rate}/s`;
          levelStart = e.atMs / 1000;
          plannedS = Math.max(1, e.plannedS);
          break;
        case 'request-start':
          inFlight++;
          break;
        case 'request-end':
          inFlight--;
          if (e.record.outcome === 'ok') ok++;
          else if (e.record.status === 429) refused++;
          else if (e.record.outcome !== 'aborted') failed++;
          break;
        case 'drop':
          dropped = e.dropped;
          break;
        case 'stop':
          stopping = `  stopping: ${e.reason}`;
          break;
        default:
          break;
      }
    },
    done() {
      clearInterval(timer);
      out.write('\r\x1b[K');
    },
  };
}
