import { it } from 'node:test';
import assert from 'node:assert/strict';
import { boundToLoopback, hostAllowed, hostName } from './site-guard.js';

it('hostName strips ports, brackets and a trailing dot, and lower-cases', () => {
  assert.equal(hostName('Example.COM:8080'), 'example.com');
  assert.equal(hostName('[::1]:8080'), '::1');
  assert.equal(hostName('[fe80::1]'), 'fe80::1');
  assert.equal(hostName('localhost.'), 'localhost');
  assert.equal(hostName('10.1.2.3'), '10.1.2.3');
});

it('hostAllowed: IP literals and loopback names always, names only when listed', () => {
  for (const name of ['10.0.0.1', '::1', 'fe80::1', 'localhost', 'app.localhost', '127.0.0.53', '']) assert.ok(hostAllowed(name, []), name);
  for (const name of ['evil.example', 'localhost.evil.example', '127.0.0.1.nip.io']) assert.ok(!hostAllowed(name, []), name);
  assert.ok(hostAllowed('tts.example.com', ['tts.example.com']));
  assert.ok(!hostAllowed('x.tts.example.com', ['tts.example.com']));
  assert.ok(hostAllowed('a.b.example.com', ['.example.com']));
  assert.ok(hostAllowed('example.com', ['.example.com']));
  assert.ok(!hostAllowed('badexample.com', ['.example.com']));
  assert.ok(hostAllowed('anything.example', ['*']));
});

it('boundToLoopback knows loopback binds from the others', () => {
  for (const h of ['127.0.0.1', 'localhost', '::1']) assert.ok(boundToLoopback(h), h);
  for (const h of ['0.0.0.0', '::', '10.0.0.5', 'gpu-box']) assert.ok(!boundToLoopback(h), h);
});
