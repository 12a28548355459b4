// `cosyfleet doctor [--json] [--flag value ...]`: runs the checks (checks.ts) for the effective
// configuration and prints them for a person or, with --json, for a script. Exit code 1 when any
// check failed, 0 otherwise (warnings included).
import { loadConfig } from '../config/config.js';
import { runDoctor, type CheckResult, type DoctorReport } from './checks.js';

export interface CommandIO {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: { write(text: string): unknown };
}

const HELP = `Usage: cosyfleet doctor [--json] [settings flags, e.g. --cosyvoice-model-dir DIR]

Checks what running Fun-CosyVoice3 on this machine needs (Python, the cosyvoice package, PyTorch
with CUDA, the model files, the GPU and its free memory) and, when COSYFLEET_ENGINE is a remote
engine, that its server answers; with the embedded engine (espeak), that it loads and speaks, and
the GPU checks are only information. Exit code 1 when a check the configured engine needs fails.
`;

export async function runDoctorCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(HELP);
    return 0;
  }
  const json = argv.includes('--json');
  const config = loadConfig({ env: io.env, argv: argv.filter((a) => a !== '--json') });
  const report = await runDoctor({ config, env: io.env });
  io.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.ok ? 0 : 1;
}

const LABEL: Record<CheckResult['status'], string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };

export function formatReport(report: DoctorReport): string {
  const lines = [`cosyfleet doctor (COSYFLEET_ENGINE=${report.engine})`, ''];
  for (const c of report.checks) {
    lines.push(`  ${LABEL[c.status]}  ${c.title}: ${c.detail}`);
    if (c.fix && c.status !== 'ok') lines.push(`        fix: ${c.fix}`);
  }
  const count = (s: CheckResult['status']) => report.checks.filter((c) => c.status === s).length;
  lines.push('', `${count('ok')} ok, ${count('warn')} warning(s), ${count('fail')} failed`, '');
  return lines.join('\n');
}
