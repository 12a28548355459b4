// `cosyfleet bench` (wired in src/cli.ts): checks the flags, sends one request to see that the
// server answers, runs the closed or open loop with a progress line on a terminal, then writes
// the report and the profile. SIGINT aborts the run; what was measured is still written.
import { writeFileSync } from 'node:fs';
import { loadUserProfiles } from '../planner/profiles.js';
import { PlannerInputError } from '../planner/validate.js';
import { loadWorkloadFile } from '../planner/workload.js';
import { BENCH_USAGE, parseBenchArgs, type BenchArgs } from './args.js';
import { runClosedLoop } from './closed-loop.js';
import { runOpenLoop } from './open-loop.js';
import { ProfileError, toProfile } from './profile.js';
import { progressLine } from './progress.js';
import { renderHtml, renderJson, renderMarkdown, renderTable } from './report.js';
import { endpoint, exchange } from './request.js';
import { defaultHardStopS } from './session.js';
import { fixedTexts, workloadTexts, type TextSource } from './texts.js';
import type { BenchRun } from './types.js';

export interface BenchIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  env: Readonly<Record<string, string | undefined>>;
  /** process.on/off: SIGINT ends the run early (the report is still written). */
  on?(event: 'SIGINT', listener: () => void): unknown;
  off?(event: 'SIGINT', listener: () => void): unknown;
}

/** Exit codes: 0 done, 1 unreachable or refused, 2 bad flags, 130 interrupted. */
export async function runBenchCommand(argv: readonly string[], io: BenchIo): Promise<number> {
  const parsed = parseBenchArgs(argv, io.env);
  if (parsed.help) {
    io.stdout.write(BENCH_USAGE);
    return 0;
  }
  if (!parsed.args) {
    io.stderr.write(`${parsed.problems.map((p) => `cosyfleet bench: ${p}`).join('\n')}\n\n${BENCH_USAGE}`);
    return 2;
  }
  const args = parsed.args;
  // A fresh source per use, so the preflight's draw does not shift the run's sequence.
  let texts: () => TextSource;
  try {
    const t = args.texts;
    if (t.kind === 'workload') {
      const w = loadWorkloadFile(t.path);
      texts = () => workloadTexts(w, args.seed);
    } else texts = () => fixedTexts(t.chars, t.language);
  } catch (err) {
    if (!(err instanceof PlannerInputError)) throw err;
    io.stderr.write(`cosyfleet bench: ${err.message}\n`);
    return 2;
  }

  const interrupt = new AbortController();
  const onSigint = () => {
    io.stderr.write('\ncosyfleet bench: interrupted; aborting the requests in flight and writing the report\n');
    interrupt.abort();
  };
  io.on?.('SIGINT', onSigint);
  try {
    const refused = await preflight(args, texts(), interrupt.signal);
    if (refused) {
      io.stderr.write(`cosyfleet bench: ${refused}\n`);
      return interrupt.signal.aborted ? 130 : 1;
    }
    const progress = args.progress && io.stderr.isTTY ? progressLine(io.stderr) : undefined;
    const common = {
      target: args.target,
      texts: texts(),
      signal: interrupt.signal,
      ...(progress ? { onEvent: progress.onEvent } : {}),
      ...(args.durationS !== undefined ? { durationS: args.durationS } : {}),
      ...(args.maxRequests !== undefined ? { maxRequests: args.maxRequests } : {}),
      ...(args.hardStopS !== undefined ? { hardStopS: args.hardStopS } : {}),
    };
    let run: BenchRun;
    try {
      run =
        args.mode === 'open'
          ? await runOpenLoop({ ...common, rate: args.rate as number, seed: args.seed, ...(args.maxInFlight !== undefined ? { maxInFlight: args.maxInFlight } : {}) })
          : await runClosedLoop({
              ...common,
              ...(args.concurrency ? { concurrency: args.concurrency } : {}),
              ...(args.maxConcurrency !== undefined ? { maxConcurrency: args.maxConcurrency } : {}),
              ...(args.levelDurationS !== undefined ? { levelDurationS: args.levelDurationS } : {}),
              ...(args.levelRequests !== undefined ? { levelRequests: args.levelRequests } : {}),
              ...(args.warmupS !== undefined ? { warmupS: args.warmupS } : {}),
            });
    } finally {
      progress?.done();
    }
    await writeReport(run, args, io);
    const profileCode = writeProfile(run, args, io);
    return interrupt.signal.aborted ? 130 : profileCode;
  } finally {
    io.off?.('SIGINT', onSigint);
  }
}

/**
 * One request before the run: a server that cannot be reached, or that refuses what bench
 * sends (a wrong voice, model or key), ends the command with its reason instead of a report
 * full of errors. 429 and 5xx pass: they are what a run measures.
 */
async function preflight(args: BenchArgs, texts: TextSource, interrupt: AbortSignal): Promise<string | null> {
  const limitS = args.hardStopS ?? defaultHardStopS(args.durationS ?? 30);
  const signal = AbortSignal.any([interrupt, AbortSignal.timeout(limitS * 1000)]);
  const item = texts.next();
  const x = await exchange(args.target, item.text, item.language, signal);
  const where = `${endpoint(args.target)}`;
  if (x.outcome === 'aborted') return interrupt.aborted ? 'interrupted before the run started' : `no answer from ${where} within ${limitS} s`;
  if (x.outcome === 'network_error') return `cannot reach ${where}: ${x.detail ?? x.error}`;
  if (x.outcome === 'http_error' && x.status !== null && x.status >= 400 && x.status < 500 && x.status !== 408 && x.status !== 429) {
    return `${where} refused the first request with HTTP ${x.status}${x.detail ? `: ${x.detail}` : ''}`;
  }
  if (x.outcome === 'bad_audio') return `${where} answered, but ${x.detail ?? 'its audio could not be measured'}`;
  return null;
}

async function writeReport(run: BenchRun, args: BenchArgs, io: BenchIo): Promise<void> {
  let text: string;
  switch (args.format) {
    case 'json':
      text = renderJson(run, { records: args.records });
      break;
    case 'md':
      text = renderMarkdown(run);
      break;
    case 'html': {
      const { renderBenchCharts } = await import('./charts.js');
      text = renderHtml(run, await renderBenchCharts(run));
      break;
    }
    default:
      text = renderTable(run);
  }
  if (args.out) {
    writeFileSync(args.out, text);
    io.stderr.write(`wrote ${args.out}\n`);
  } else io.stdout.write(text);
}

function writeProfile(run: BenchRun, args: BenchArgs, io: BenchIo): number {
  const p = args.profile;
  if (!p) return 0;
  let profile;
  try {
    profile = toProfile(run, { engine: p.engine, gpu: p.gpu, flags: p.flags, host: p.host, local: p.local, ...(p.instanceType ? { instanceType: p.instanceType } : {}) });
  } catch (err) {
    if (!(err instanceof ProfileError)) throw err;
    io.stderr.write(`cosyfleet bench: no profile written: ${err.message}\n`);
    return 1;
  }
  writeFileSync(p.out, JSON.stringify(profile, null, 2) + '\n');
  // What the planner will read: a profile it refuses is a bug here, not the user's.
  loadUserProfiles(p.out);
  io.stderr.write(`wrote ${p.out} (${profile.engine} on ${profile.gpu}, ${profile.throughput.length} levels, maxConcurrency ${profile.maxConcurrency}); use it with cosyfleet plan --profile ${p.out}\n`);
  return 0;
}
