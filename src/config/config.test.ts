import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.js';

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  assert.fail('expected a ConfigError');
};

describe('config', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({ env: {} });
    assert.equal(c.port, 8080);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.dataDir, './data');
    assert.equal(c.engine, 'espeak');
    assert.equal(c.maxTextChars, 5000);
    assert.equal(c.logLevel, 'info');
    assert.ok(c.espeakWorkers >= 1);
    assert.deepEqual(c.corsOrigins, []);
  });

  it('is frozen', () => {
    const c = loadConfig({ env: {} });
    assert.ok(Object.isFrozen(c));
    assert.throws(() => {
      (c as { port: number }).port = 1;
    }, TypeError);
  });

  it('reads env, then flags win, then overrides win', () => {
    const env = { PORT: '9000', MAX_TEXT_CHARS: '100', CORS_ORIGINS: 'https://a.example, https://b.example' };
    assert.equal(loadConfig({ env }).port, 9000);
    assert.deepEqual(loadConfig({ env }).corsOrigins, ['https://a.example', 'https://b.example']);
    assert.equal(loadConfig({ env, argv: ['--port', '9100'] }).port, 9100);
    assert.equal(loadConfig({ env, argv: ['--port=9200'] }).port, 9200);
    assert.equal(loadConfig({ env, argv: ['--port', '9100'], overrides: { port: 0 } }).port, 0);
  });

  it('reads a JSON config file below env and flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cosyfleet-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ port: 7000, logLevel: 'debug' }));
    const c = loadConfig({ env: { COSYFLEET_CONFIG: file, LOG_LEVEL: 'warn' } });
    assert.equal(c.port, 7000);
    assert.equal(c.logLevel, 'warn');
    assert.equal(loadConfig({ env: {}, argv: ['--config', file] }).port, 7000);
  });

  it('names every bad setting at once', () => {
    const problems = problemsOf(() => loadConfig({ env: { PORT: 'eighty', MAX_TEXT_CHARS: '0', COSYFLEET_ENGINE: 'gpt', LOG_LEVEL: 'loud' } }));
    assert.equal(problems.length, 4);
    assert.match(problems.join('\n'), /PORT="eighty": must be a whole number/);
    assert.match(problems.join('\n'), /MAX_TEXT_CHARS="0": must be at least 1/);
    assert.match(problems.join('\n'), /COSYFLEET_ENGINE="gpt": must be one of espeak/);
    assert.match(problems.join('\n'), /LOG_LEVEL="loud"/);
  });

  it('rejects unknown flags, stray arguments and unknown file keys', () => {
    assert.match(problemsOf(() => loadConfig({ argv: ['--prot', '1'] })).join(), /unknown flag --prot/);
    assert.match(problemsOf(() => loadConfig({ argv: ['serve'] })).join(), /unexpected argument "serve"/);
    const dir = mkdtempSync(join(tmpdir(), 'cosyfleet-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ prot: 1 }));
    assert.match(problemsOf(() => loadConfig({ argv: ['--config', file] })).join(), /unknown setting "prot"/);
    writeFileSync(file, '{not json');
    assert.match(problemsOf(() => loadConfig({ argv: ['--config', file] })).join(), /config file/);
  });

  it('rejects out-of-range numbers', () => {
    assert.match(problemsOf(() => loadConfig({ env: { PORT: '70000' } })).join(), /PORT="70000": must be at most 65535/);
    assert.match(problemsOf(() => loadConfig({ env: { ESPEAK_WORKERS: '0' } })).join(), /ESPEAK_WORKERS/);
  });

  it('bounds the transport settings: no timeout can be turned off, the headers one fits in the request one', () => {
    const c = loadConfig({ env: {} });
    assert.deepEqual(
      [c.headersTimeoutMs, c.requestTimeoutMs, c.keepAliveTimeoutMs, c.maxConnections, c.maxConnectionsPerAddress, c.maxDiscardBytes],
      [10_000, 60_000, 72_000, 1024, 64, 16 * 1_048_576],
    );
    assert.match(problemsOf(() => loadConfig({ env: { REQUEST_TIMEOUT_MS: '0' } })).join(), /REQUEST_TIMEOUT_MS="0": must be at least 100/);
    assert.match(problemsOf(() => loadConfig({ env: { HEADERS_TIMEOUT_MS: '0' } })).join(), /HEADERS_TIMEOUT_MS="0": must be at least 100/);
    assert.match(problemsOf(() => loadConfig({ env: { MAX_CONNECTIONS: '0' } })).join(), /MAX_CONNECTIONS="0": must be at least 1/);
    assert.match(problemsOf(() => loadConfig({ env: { MAX_CONNECTIONS_PER_ADDRESS: '-1' } })).join(), /MAX_CONNECTIONS_PER_ADDRESS="-1": must be at least 0/);
    assert.match(
      problemsOf(() => loadConfig({ env: { HEADERS_TIMEOUT_MS: '30000', REQUEST_TIMEOUT_MS: '20000' } })).join(),
      /HEADERS_TIMEOUT_MS=30000: must be at most REQUEST_TIMEOUT_MS \(20000\)/,
    );
    assert.equal(loadConfig({ env: { MAX_CONNECTIONS_PER_ADDRESS: '0' } }).maxConnectionsPerAddress, 0);
  });

  it('takes an empty DATABASE_URL (SQLite) or a postgres URL, which it never shows', () => {
    assert.equal(loadConfig({ env: {} }).databaseUrl, '');
    const url = 'postgres://cosyfleet:hunter2-secret@db.internal:5432/cosyfleet';
    const c = loadConfig({ argv: ['--database-url', url] });
    assert.equal(c.databaseUrl, url);
    assert.equal(loadConfig({ env: { DATABASE_URL: 'postgresql://db/cosyfleet' } }).databaseUrl, 'postgresql://db/cosyfleet');
    assert.ok(!JSON.stringify(c).includes('hunter2'), 'redacted wherever the config is printed');
    const problems = problemsOf(() => loadConfig({ env: { DATABASE_URL: 'mysql://root:hunter2@db/x' } })).join();
    assert.match(problems, /DATABASE_URL=\(secret\): must be empty \(SQLite in DATA_DIR\) or a postgres:\/\/ or postgresql:\/\/ URL/);
    assert.ok(!problems.includes('hunter2'), 'nor named in a validation message');
  });
});
