import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GpuMemoryProbe, parseComputeApps } from './gpu-memory.js';

describe('GPU memory from nvidia-smi', () => {
  it('parses --query-compute-apps=pid,used_memory csv (MiB) into bytes per pid', () => {
    const out = parseComputeApps('1234, 3400\n5678, 1700\n1234, 100\n[Not Supported]\n');
    assert.deepEqual([...out], [
      [1234, 3500 * 1024 * 1024],
      [5678, 1700 * 1024 * 1024],
    ]);
  });

  it('reports nothing where nvidia-smi is absent', async () => {
    const probe = new GpuMemoryProbe('nvidia-smi-is-not-installed-here');
    assert.equal(await probe.query(), null);
    assert.equal(await probe.query(), null);
  });
});
