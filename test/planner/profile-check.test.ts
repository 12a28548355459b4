// A profile that matches nothing is an error (issue 14): `--profile` or workload `profiles:` whose
// GPU, engine or instance type the planner does not know used to be ignored without a word (the
// case: `gpu: H100` where the catalog says `H100-SXM`), and the plan rested on the estimate the
// user meant to replace. Now the plan refuses, naming the closest names.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runPlanCommand, type Io } from '../../src/planner/command.js';
import { plan } from '../../src/planner/plan.js';
import { closestNames } from '../../src/planner/profile-check.js';
import { PlannerInputError } from '../../src/planner/validate.js';
import { HAND_PROFILE, workload } from './helpers.js';

const workloadFile = fileURLToPath(new URL('../../examples/workload.yaml', import.meta.url));

function refusal(profiles: unknown[]): string {
  try {
    plan({ workload: workload({ profiles, instanceTypes: ['g5.xlarge'] }), sensitivityTop: 0, strategies: ['always-on'] });
  } catch (err) {
    assert.ok(err instanceof PlannerInputError, String(err));
    return err.problems.join('\n');
  }
  return assert.fail('expected a refusal');
}

test('a workload profile naming an unknown GPU or engine is refused with the closest names', () => {
  const text = refusal([{ ...HAND_PROFILE, gpu: 'H100' }, { ...HAND_PROFILE, engine: 'cosyvoice3-trt' }]);
  assert.match(text, /^profiles\[0\]\.gpu: "H100" matches no GPU in catalog 2026-12-04; the closest: H100-SXM, /m);
  assert.match(text, /^profiles\[1\]\.engine: "cosyvoice3-trt" matches no engine; the closest: cosyvoice3-trtllm/m);
});

test("a measured profile's instance type must exist and carry the profile's GPU", () => {
  const measured = { ...HAND_PROFILE, profileSource: 'measured', measuredAt: '2026-12-04T01:00:00Z', flags: {}, host: {} };
  const wrongGpu = refusal([{ ...measured, instanceType: 'g6.xlarge' }]);
  assert.match(wrongGpu, /^profiles\[0\]\.instanceType: g6\.xlarge has L4, not the profile's gpu A10G$/m);
  const unknownType = refusal([{ ...measured, instanceType: 'g5.xlarg' }]);
  assert.match(unknownType, /^profiles\[0\]\.instanceType: "g5\.xlarg" matches no instance type in catalog 2026-12-04; the closest: g5\.xlarge/m);
  // A CPU's throughput depends on the vCPUs: its profile must say which instance type it measured.
  const cpu = refusal([{ ...HAND_PROFILE, engine: 'espeak-embedded', gpu: 'Xeon-8488C' }]);
  assert.match(cpu, /^profiles\[0\]\.instanceType: a profile for the CPU Xeon-8488C must name its instance type/m);
});

test('cosyfleet plan --profile with a GPU the catalog does not know exits 2 and names the file and the closest GPU', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cosyfleet-profile-'));
  const file = join(dir, 'h100.json');
  writeFileSync(file, JSON.stringify({ ...HAND_PROFILE, gpu: 'h100' }));
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s), isTTY: false } };
  const code = await runPlanCommand([workloadFile, '--profile', file, '--no-progress'], io);
  assert.equal(code, 2, err.join(''));
  assert.equal(out.join(''), '');
  assert.match(err.join(''), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\.gpu: "h100" matches no GPU in catalog \\S+; the closest: H100-SXM`));
  assert.ok(readFileSync(file, 'utf8').includes('"h100"'));
});

test('closest names: containment first, then edit distance', () => {
  assert.deepEqual(closestNames('H100', ['T4', 'H100-SXM', 'H200', 'A100-40GB']), ['H100-SXM', 'H200', 'T4']);
  assert.deepEqual(closestNames('a100', ['A100-40GB', 'A100-80GB', 'A10G']), ['A100-40GB', 'A100-80GB', 'A10G']);
});
