// The ExecStopPost script run by /bin/sh with Debian's curl against the IMDS stand-in
// (test/helpers/imds-standin.ts). The AWS CLI is a stub that records its arguments: calling
// Auto Scaling needs an AWS account, the process boundary that cannot run here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ImdsStandin } from '../../test/helpers/imds-standin.js';
import { completeLifecycleActionScript, execStopPostLines } from './host-hook.js';

const run = promisify(execFile);

describe('ExecStopPost: completing the lifecycle action after the exit', () => {
  let standin: ImdsStandin;
  let dir: string;
  let stub: string;
  let calls: string;
  before(async () => {
    standin = new ImdsStandin();
    await standin.start();
    dir = mkdtempSync(join(tmpdir(), 'cosyfleet-hook-'));
    stub = join(dir, 'aws');
    calls = join(dir, 'calls');
    writeFileSync(stub, `#!/bin/sh\nprintf '%s\\n' "$@" > '${calls}'\n`);
    chmodSync(stub, 0o755);
  });
  after(async () => {
    await standin.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    standin.reset();
    rmSync(calls, { force: true });
  });

  const runScript = async (origin = standin.origin) => {
    const script = join(dir, 'complete.sh');
    writeFileSync(script, completeLifecycleActionScript({ hookName: 'cosyfleet-drain', imdsEndpoint: origin, aws: stub }));
    return run('/bin/sh', [script]);
  };

  it('Terminated: CONTINUE for this instance in its group and region, with an IMDSv2 token', async () => {
    standin.lifecycleState = 'Terminated';
    const { stderr } = await runScript();
    assert.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'), [
      'autoscaling',
      'complete-lifecycle-action',
      '--lifecycle-hook-name',
      'cosyfleet-drain',
      '--auto-scaling-group-name',
      'cosyfleet-fleet-Asg',
      '--instance-id',
      'i-0123456789abcdef0',
      '--lifecycle-action-result',
      'CONTINUE',
      '--region',
      'us-east-1',
    ]);
    assert.match(stderr, /completing cosyfleet-drain for i-0123456789abcdef0/);
    assert.ok(standin.count('PUT', '/latest/api/token', 200) >= 1);
    assert.equal(standin.count('GET', '/latest/meta-data/autoscaling/target-lifecycle-state', 401), 0);
  });

  it('InService (a restart, a `systemctl stop`): nothing is completed', async () => {
    const { stderr } = await runScript();
    assert.equal(existsSync(calls), false);
    assert.match(stderr, /target lifecycle state InService; nothing to complete/);
  });

  it('no metadata service (not on EC2): nothing, and exit 0', async () => {
    const { stderr } = await runScript('http://127.0.0.1:9');
    assert.equal(existsSync(calls), false);
    assert.match(stderr, /no instance metadata/);
  });

  it('the unit line runs it as root without failing the unit; names are checked', () => {
    assert.deepEqual(execStopPostLines('/usr/local/lib/cosyfleet/complete-lifecycle-action.sh'), ['ExecStopPost=-+/bin/sh /usr/local/lib/cosyfleet/complete-lifecycle-action.sh']);
    assert.throws(() => completeLifecycleActionScript({ hookName: "x'; rm -rf /" }), /letters, digits/);
  });
});
