// The instance price: explicit, from the catalog, or from EC2 instance metadata through a
// loopback stand-in that speaks IMDSv2's token protocol (a PUT for the token, then reads that
// must carry it; a read without it is 401, as on EC2).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { bundledCatalog } from '../planner/catalog.js';
import { readInstanceMetadata, resolveInstancePrice } from './instance-price.js';

const TOKEN = 'AQAEAN-standin-token';
let server: Server;
let origin: string;
const seen: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      if (!req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return void res.writeHead(400).end();
      return void res.end(TOKEN);
    }
    if (req.headers['x-aws-ec2-metadata-token'] !== TOKEN) return void res.writeHead(401).end();
    if (req.url === '/latest/meta-data/instance-type') return void res.end('g6.xlarge');
    if (req.url === '/latest/meta-data/placement/region') return void res.end('us-west-2');
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const base = { instanceType: '', instanceRegion: 'us-east-1', instancePriceUsdPerHour: '', instanceMetadata: 'auto' as const };

describe('instance price', () => {
  it('IMDSv2: token first, then the instance type and region with it', async () => {
    assert.deepEqual(await readInstanceMetadata(origin), { instanceType: 'g6.xlarge', region: 'us-west-2' });
    assert.equal(seen[0], 'PUT /latest/api/token');
    const catalog = bundledCatalog();
    const p = await resolveInstancePrice(base, catalog, () => readInstanceMetadata(origin));
    assert.equal(p.instanceType, 'g6.xlarge');
    assert.equal(p.usdPerHour, catalog.instances.find((i) => i.instanceType === 'g6.xlarge')!.prices['us-west-2']!.onDemandUsdPerHour);
    assert.match(p.source, /EC2 instance metadata/);
  });

  it('no metadata service (not on EC2): no price, and why', async () => {
    assert.equal(await readInstanceMetadata('http://127.0.0.1:9', 300), null);
    const p = await resolveInstancePrice(base, bundledCatalog(), async () => null);
    assert.equal(p.usdPerHour, null);
    assert.match(p.source, /COSYFLEET_INSTANCE_TYPE/);
  });

  it('the setting wins, and a type the catalog lacks says so', async () => {
    const catalog = bundledCatalog();
    const g5 = await resolveInstancePrice({ ...base, instanceType: 'g5.xlarge' }, catalog, async () => assert.fail('no metadata read'));
    assert.equal(g5.usdPerHour, catalog.instances.find((i) => i.instanceType === 'g5.xlarge')!.prices['us-east-1']!.onDemandUsdPerHour);
    const own = await resolveInstancePrice({ ...base, instancePriceUsdPerHour: '0.3564' }, catalog);
    assert.equal(own.usdPerHour, 0.3564);
    const unknown = await resolveInstancePrice({ ...base, instanceType: 'x9.huge' }, catalog);
    assert.equal(unknown.usdPerHour, null);
    assert.match(unknown.source, /not in the price catalog/);
  });
});
