// The Python worker's standard-library parts (framing, audio checks, text handling) under
// python3's unittest; a failing Python test fails this one.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER_DIR = fileURLToPath(new URL('../../workers/cosyvoice', import.meta.url));

it('workers/cosyvoice unit tests pass under python3 -m unittest', () => {
  const run = spawnSync('python3', ['-B', '-m', 'unittest', 'discover', '-s', WORKER_DIR, '-p', 'test_*.py', '-v'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.error, undefined, String(run.error));
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  // unittest prints "Ran N tests"; none found would also exit 0.
  const ran = /Ran (\d+) tests?/.exec(run.stderr);
  assert.ok(ran && Number(ran[1]) >= 10, run.stderr);
});
