// Price refresh against recorded AWS responses. AWS is unreachable here, so the real SDK
// clients get a request handler that answers with recorded HTTP bodies (the process boundary
// that cannot run here); everything from the SDK's deserializers on is the shipped code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundledCatalog } from '../../src/planner/catalog.js';
import { awsPriceSource, buildCatalog, fetchPrices, parseGetProducts, parseSpotHistory } from '../../src/planner/prices.js';
import { fixture, recordedHandler, type SeenRequest } from './recorded-aws.js';

test('GetProducts PriceList entries (JSON strings) parse to hourly Linux on-demand prices', () => {
  const page1 = JSON.parse(fixture('pricing-getproducts-g5.xlarge-page1.json').toString()) as { PriceList: string[] };
  const page2 = JSON.parse(fixture('pricing-getproducts-g5.xlarge-page2.json').toString()) as { PriceList: string[] };
  assert.equal(typeof page1.PriceList[0], 'string');
  const { prices, skipped } = parseGetProducts([...page1.PriceList, ...page2.PriceList, 'not json']);
  assert.deepEqual(
    prices.map((p) => [p.instanceType, p.regionCode, p.usdPerHour, p.sku, p.gpuCount, p.vcpu, p.memoryGiB]),
    [['g5.xlarge', 'us-east-1', 1.006, 'G5XLINUXSKU0001', 1, 4, 16]],
  );
  assert.equal(skipped.length, 2, skipped.join('; '));
  assert.match(skipped.join(' '), /Windows/);
});

test('spot history keeps the latest price per zone and reports the zone range', () => {
  const ranges = parseSpotHistory([
    { InstanceType: 'g5.xlarge', SpotPrice: '0.50', AvailabilityZone: 'a', Timestamp: new Date('2026-11-20T00:00:00Z'), ProductDescription: 'Linux/UNIX' },
    { InstanceType: 'g5.xlarge', SpotPrice: '0.40', AvailabilityZone: 'a', Timestamp: new Date('2026-11-24T00:00:00Z'), ProductDescription: 'Linux/UNIX' },
    { InstanceType: 'g5.xlarge', SpotPrice: '0.45', AvailabilityZone: 'b', Timestamp: new Date('2026-11-23T00:00:00Z'), ProductDescription: 'Linux/UNIX' },
    { InstanceType: 'g5.xlarge', SpotPrice: '0.10', AvailabilityZone: 'c', Timestamp: new Date('2026-11-24T00:00:00Z'), ProductDescription: 'Windows' },
  ]);
  assert.deepEqual(ranges, [{ instanceType: 'g5.xlarge', low: 0.4, high: 0.45, zones: 2, latest: '2026-11-24T00:00:00.000Z' }]);
});

test('refresh through the real SDK clients: us-east-1 pricing endpoint, TERM_MATCH filters, pagination, dated catalog', async () => {
  const seen: SeenRequest[] = [];
  const source = await awsPriceSource('us-east-1', {
    requestHandler: recordedHandler(seen),
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'recorded-responses-only' },
    maxAttempts: 1,
  });
  const now = new Date('2026-11-25T12:00:00Z');
  const fetched = await fetchPrices(source, ['g5.xlarge', 'g6.xlarge'], 'us-east-1', now);
  source.destroy();

  const pricingCalls = seen.filter((s) => s.hostname.startsWith('api.pricing.'));
  assert.equal(pricingCalls.length, 3, 'g5 page 1, g5 page 2, g6');
  assert.ok(pricingCalls.every((c) => c.hostname === 'api.pricing.us-east-1.amazonaws.com'), pricingCalls.map((c) => c.hostname).join());
  assert.ok(pricingCalls.every((c) => c.target === 'AWSPriceListService.GetProducts'));
  const first = JSON.parse(pricingCalls[0]!.body) as { ServiceCode: string; Filters: { Type: string; Field: string; Value: string }[] };
  assert.equal(first.ServiceCode, 'AmazonEC2');
  assert.ok(first.Filters.every((f) => f.Type === 'TERM_MATCH'));
  assert.deepEqual(Object.fromEntries(first.Filters.map((f) => [f.Field, f.Value])), {
    instanceType: 'g5.xlarge', regionCode: 'us-east-1', operatingSystem: 'Linux', tenancy: 'Shared', preInstalledSw: 'NA', capacitystatus: 'Used',
  });
  assert.equal(JSON.parse(pricingCalls[1]!.body).NextToken, 'page-2-token');
  const ec2Call = seen.find((s) => s.hostname.startsWith('ec2.'));
  assert.ok(ec2Call && /Action=DescribeSpotPriceHistory/.test(ec2Call.body), ec2Call?.body);
  assert.match(ec2Call.body, /InstanceType\.1=g5\.xlarge/);
  assert.match(ec2Call.body, /ProductDescription\.1=Linux%2FUNIX/);

  assert.deepEqual(fetched.onDemand.map((p) => [p.instanceType, p.usdPerHour]), [['g5.xlarge', 1.006], ['g6.xlarge', 0.8048]]);
  assert.deepEqual(
    fetched.spot.map((s) => [s.instanceType, s.low, s.high, s.zones]),
    [['g5.xlarge', 0.3987, 0.4301, 3], ['g6.xlarge', 0.3912, 0.4205, 2]],
  );

  const base = bundledCatalog();
  const result = buildCatalog(base, 'us-east-1', fetched.onDemand, fetched.spot, now);
  assert.equal(result.catalog.version, '2026-11-25');
  assert.deepEqual(result.updated, ['g5.xlarge', 'g6.xlarge']);
  assert.ok(result.missing.includes('p5.48xlarge'));
  const g5 = result.catalog.instances.find((i) => i.instanceType === 'g5.xlarge')!.prices['us-east-1']!;
  assert.equal(g5.onDemandUsdPerHour, 1.006);
  assert.equal(g5.spotUsdPerHourLow, 0.3987);
  assert.equal(g5.sourceDate, '2026-11-25');
  assert.match(g5.source, /GetProducts \(sku G5XLINUXSKU0001/);
  const p5 = result.catalog.instances.find((i) => i.instanceType === 'p5.48xlarge')!.prices['us-east-1']!;
  assert.equal(p5.sourceDate, '2025 H1', 'instances AWS did not answer for keep their old, dated price');
});
