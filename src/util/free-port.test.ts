import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { freePort } from './free-port.js';

describe('freePort', () => {
  it('gives a port that can then be listened on, different while the first is taken', async () => {
    const port = await freePort();
    assert.ok(Number.isInteger(port) && port > 0 && port < 65536, String(port));
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    try {
      assert.notEqual(await freePort(), port, 'a port in use is not given out');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
