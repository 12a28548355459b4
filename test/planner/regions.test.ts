// Regions (issue 14): the bundled catalog prices every instance type in the five regions the
// AWS GPU types are sold in most, from one dated skypilot-catalog snapshot (on-demand, and the
// spot range over each region's zones); a type not sold in a region has no price there and is
// listed as such. The us-east-1 figures keep their provenance, rechecked against the snapshot.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundledCatalog } from '../../src/planner/catalog.js';
import { plan } from '../../src/planner/plan.js';
import { workload } from './helpers.js';

const catalog = bundledCatalog();
const price = (type: string, region: string) => catalog.instances.find((i) => i.instanceType === type)!.prices[region];
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-northeast-1', 'ap-southeast-1'];

test('the bundled catalog is dated and prices five regions, each price with its source', () => {
  assert.equal(catalog.version, '2026-12-04');
  assert.deepEqual(catalog.regions, REGIONS);
  for (const i of catalog.instances) {
    assert.ok(i.prices['us-east-1'], `${i.instanceType} has a us-east-1 price`);
    for (const [region, p] of Object.entries(i.prices)) {
      assert.ok(REGIONS.includes(region), region);
      assert.ok(p.spotUsdPerHourLow <= p.spotUsdPerHourHigh && p.spotUsdPerHourHigh <= p.onDemandUsdPerHour * 1.0001, `${i.instanceType} ${region}`);
      if (region !== 'us-east-1') assert.match(p.source, /skypilot-catalog catalogs\/v7\/aws\/vms\.csv @ 27f67dd4e1bc/);
    }
  }
  // Figures read from the snapshot (on-demand; spot = lowest and highest zone).
  assert.deepEqual(price('g5.xlarge', 'eu-west-1'), { ...price('g5.xlarge', 'eu-west-1')!, onDemandUsdPerHour: 1.123, spotUsdPerHourLow: 0.5122, spotUsdPerHourHigh: 0.5181 });
  assert.equal(price('g6.xlarge', 'ap-northeast-1')!.onDemandUsdPerHour, 1.1672);
  assert.equal(price('g4dn.xlarge', 'ap-southeast-1')!.onDemandUsdPerHour, 0.736);
  // Not sold there in the snapshot: no price.
  assert.equal(price('g6.xlarge', 'eu-west-1'), undefined);
  assert.equal(price('g5.xlarge', 'ap-southeast-1'), undefined);
  assert.equal(price('p5.48xlarge', 'eu-west-1'), undefined);
  // us-east-1 keeps its figures and provenance; p3.2xlarge's spot range came from other regions' rows and now comes from us-east-1's.
  assert.equal(price('g6.xlarge', 'us-east-1')!.onDemandUsdPerHour, 0.8048);
  assert.match(price('g6.xlarge', 'us-east-1')!.source, /rechecked against skypilot-catalog 27f67dd4e1bc on 2026-12-04: same on-demand price/);
  assert.deepEqual([price('p3.2xlarge', 'us-east-1')!.spotUsdPerHourLow, price('p3.2xlarge', 'us-east-1')!.spotUsdPerHourHigh], [0.6135, 0.7504]);
});

test('a plan in another region uses that region, and lists the types not sold there', () => {
  const result = plan({ workload: workload({ region: 'ap-northeast-1', requestsPerDay: 20000, instanceTypes: ['g5.xlarge', 'g6.xlarge'] }), sensitivityTop: 0, strategies: ['always-on'] });
  const g6 = result.options.find((o) => o.instanceType === 'g6.xlarge')!;
  assert.equal(result.region, 'ap-northeast-1');
  // Always-on bills on-demand for every hour of the month: 1.1672 $/h there, 0.8048 in us-east-1.
  assert.ok(Math.abs(g6.computeMonthlyUsd - g6.peakInstances * 1.1672 * 24 * 30) < 1e-6, String(g6.computeMonthlyUsd));
  const eu = plan({ workload: workload({ region: 'eu-west-1', requestsPerDay: 20000, instanceTypes: ['g5.xlarge', 'g6.xlarge'] }), sensitivityTop: 0, strategies: ['always-on'] });
  assert.deepEqual(eu.excluded, [{ instanceType: 'g6.xlarge', reason: 'no price for eu-west-1' }]);
  assert.match(eu.assumptions.join('\n'), /Storage and delivery are priced at us-east-1 rates/);
});
