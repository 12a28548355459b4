// Waiting for a condition the test cannot await directly (a counter, an event list). The
// timeout only bounds a broken test; assertions never depend on how long things took.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Reads a whole response body; resolves to how it ended instead of throwing. */
export async function readBody(res: Response): Promise<{ bytes: number; complete: boolean; error?: string }> {
  let bytes = 0;
  try {
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes, complete: true };
      bytes += value.length;
    }
  } catch (err) {
    return { bytes, complete: false, error: (err as Error).message };
  }
}

/** One sample of a Prometheus text exposition (`name{labels} value`); undefined when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}
