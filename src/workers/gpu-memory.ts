// GPU memory per process from nvidia-smi, for the GPU-memory recycling watermark and metrics.
// Optional: on machines without nvidia-smi (CI, the espeak workers) it reports nothing.
import { execFile } from 'node:child_process';

const ARGS = ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'];

/** Parses `pid, MiB` lines into bytes by pid. */
export function parseComputeApps(text: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(line);
    if (m) out.set(Number(m[1]), (out.get(Number(m[1])) ?? 0) + Number(m[2]) * 1024 * 1024);
  }
  return out;
}

export class GpuMemoryProbe {
  private available = true;

  constructor(private readonly command = 'nvidia-smi') {}

  /** Bytes of GPU memory by pid, or null when nvidia-smi is absent or fails. */
  query(): Promise<Map<number, number> | null> {
    if (!this.available) return Promise.resolve(null);
    return new Promise((resolve) => {
      execFile(this.command, ARGS, { timeout: 5000 }, (err, stdout) => {
        if (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.available = false;
          resolve(null);
          return;
        }
        resolve(parseComputeApps(stdout));
      });
    });
  }
}
