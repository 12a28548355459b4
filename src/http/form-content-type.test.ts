import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formContentTypeProblem } from './form-content-type.js';

describe('formContentTypeProblem', () => {
  it('accepts the boundaries real clients send', () => {
    for (const contentType of [
      'multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW',
      'multipart/form-data; boundary=----formdata-undici-012345678901',
      'multipart/form-data;boundary="simple boundary"',
      'Multipart/Form-Data; charset=utf-8; BOUNDARY=abc;',
      `multipart/form-data; boundary=${'x'.repeat(70)}`,
    ]) {
      assert.equal(formContentTypeProblem(contentType), null, contentType);
    }
  });

  it('names what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['multipart/form-data', /no boundary parameter/],
      ['multipart/form-data; charset=utf-8', /no boundary parameter/],
      ['multipart/form-data; boundary', /malformed at "boundary"/],
      ['multipart/form-data; boundary=', /malformed/],
      ['multipart/form-data; boundary="abc', /malformed/],
      ['multipart/form-data; boundary=a{b', /malformed at "\{b"/],
      ['multipart/form-data; boundary=a; boundary=b', /twice/],
      ['multipart/form-data; boundary=""', /1-70 characters/],
      ['multipart/form-data; boundary="ends with space "', /1-70 characters/],
      [`multipart/form-data; boundary=${'x'.repeat(71)}`, /1-70 characters/],
    ];
    for (const [contentType, problem] of cases) assert.match(formContentTypeProblem(contentType) ?? 'null', problem, contentType);
  });
});
