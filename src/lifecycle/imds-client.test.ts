// The IMDSv2 client against a loopback stand-in of the metadata service that keeps EC2's token
// rules (test/helpers/imds-standin.ts): a token first, reads with it, renewal before expiry, a
// new token after a 401, and no answer at all as ImdsUnavailable.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImdsStandin } from '../../test/helpers/imds-standin.js';
import { ImdsClient, ImdsUnavailable } from './imds-client.js';

const TYPE = '/latest/meta-data/instance-type';
const TOKEN = '/latest/api/token';

describe('IMDSv2 client', () => {
  let clock = 1_000_000;
  const standin = new ImdsStandin({ now: () => clock, maxTtlS: 100 });
  let origin: string;
  before(async () => {
    origin = await standin.start();
  });
  after(() => standin.close());

  it('the stand-in keeps the protocol: no TTL header 400, no token 401, a proxied PUT 403', async () => {
    assert.equal((await fetch(`${origin}${TOKEN}`, { method: 'PUT' })).status, 400);
    assert.equal((await fetch(`${origin}${TOKEN}`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '0' } })).status, 400);
    assert.equal((await fetch(`${origin}${TOKEN}`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60', 'x-forwarded-for': '10.0.0.1' } })).status, 403);
    assert.equal((await fetch(`${origin}${TYPE}`)).status, 401);
    assert.equal((await fetch(`${origin}${TYPE}`, { headers: { 'x-aws-ec2-metadata-token': 'made-up' } })).status, 401);
  });

  it('one token serves many reads; it is renewed before the TTL the service granted runs out', async () => {
    const imds = new ImdsClient({ endpoint: origin, now: () => clock, tokenTtlS: 21_600 });
    const puts = standin.count('PUT', TOKEN, 200);
    const [a, b] = await Promise.all([imds.get(TYPE), imds.get(TYPE)]);
    assert.deepEqual([a.status, a.body, b.status], [200, 'g6.xlarge', 200]);
    assert.equal(standin.count('PUT', TOKEN, 200), puts + 1, 'concurrent reads share one token request');
    // The stand-in grants 100 s of the 21600 asked; at 79 s the token is still used...
    clock += 79_000;
    await imds.get(TYPE);
    assert.equal(imds.tokensFetched, 1);
    // ...at 81 s (past 80% of what was granted) a new one is fetched before the read, which
    // therefore never meets a 401.
    clock += 2_000;
    const unauthorized = standin.count('GET', TYPE, 401);
    assert.equal((await imds.get(TYPE)).status, 200);
    assert.equal(imds.tokensFetched, 2);
    assert.equal(standin.count('GET', TYPE, 401), unauthorized);
  });

  it('a 401 (the service forgot the token) gets a new token and the read again, once', async () => {
    const imds = new ImdsClient({ endpoint: origin, now: () => clock });
    await imds.get(TYPE);
    standin.expireTokens();
    const unauthorized = standin.count('GET', TYPE, 401);
    const res = await imds.get(TYPE);
    assert.equal(res.status, 200);
    assert.equal(standin.count('GET', TYPE, 401), unauthorized + 1);
    assert.equal(imds.tokensFetched, 2);
  });

  it('404 is an answer (no such item), not a failure', async () => {
    const imds = new ImdsClient({ endpoint: origin, now: () => clock });
    assert.equal((await imds.get('/latest/meta-data/spot/instance-action')).status, 404);
  });

  it('no service at the address: ImdsUnavailable', async () => {
    const imds = new ImdsClient({ endpoint: 'http://127.0.0.1:9', timeoutMs: 500 });
    await assert.rejects(imds.get(TYPE), ImdsUnavailable);
  });
});
