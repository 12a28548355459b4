import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addressKey } from './connection-limits.js';

describe('addressKey', () => {
  it('counts IPv4 addresses one by one, also when they arrive IPv4-mapped', () => {
    assert.equal(addressKey('192.0.2.7'), '192.0.2.7');
    assert.equal(addressKey('::ffff:192.0.2.7'), '192.0.2.7');
    assert.notEqual(addressKey('192.0.2.7'), addressKey('192.0.2.8'));
  });

  it('counts IPv6 addresses by their /64, however they are written', () => {
    const key = addressKey('2001:db8:1:2:3:4:5:6');
    assert.equal(key, '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:0db8:0001:0002::9'), key);
    assert.equal(addressKey('2001:DB8:1:2:ffff::'), key);
    assert.notEqual(addressKey('2001:db8:1:3::1'), key);
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(addressKey('64:ff9b::192.0.2.7'), '64:ff9b:0:0::/64');
  });
});
