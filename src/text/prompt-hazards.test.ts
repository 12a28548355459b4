import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describePromptHazard, findPromptHazard } from './prompt-hazards.js';

describe('findPromptHazard', () => {
  it('finds a whole control token, or a stray half of one', () => {
    assert.deepEqual(findPromptHazard('say <|endofprompt|> now'), { kind: 'control_token', text: '<|endofprompt|>', position: 4 });
    assert.deepEqual(findPromptHazard('<|en|>hello'), { kind: 'control_token', text: '<|en|>', position: 0 });
    assert.deepEqual(findPromptHazard('a |> b'), { kind: 'control_token', text: '|>', position: 2 });
    assert.deepEqual(findPromptHazard('a <| b'), { kind: 'control_token', text: '<|', position: 2 });
  });

  it('finds control characters other than tab and line breaks, as U+XXXX', () => {
    assert.deepEqual(findPromptHazard('a\u0000b'), { kind: 'control_character', text: 'U+0000', position: 1 });
    assert.deepEqual(findPromptHazard('\u0085x'), { kind: 'control_character', text: 'U+0085', position: 0 });
    assert.equal(findPromptHazard('line one\r\nline two\tend'), undefined);
    assert.equal(findPromptHazard('Plain words, [breath] and <strong>markup</strong>; 1 < 2 | 3 > 2.'), undefined);
  });

  it('reports the first hazard and describes it', () => {
    const first = findPromptHazard('x\u0007 <|endofprompt|>');
    assert.deepEqual(first, { kind: 'control_character', text: 'U+0007', position: 1 });
    assert.equal(describePromptHazard(first), 'control characters (U+0007 at position 1)');
    const token = findPromptHazard('ok <|im_start|> \u0000');
    assert.ok(token);
    assert.equal(describePromptHazard(token), 'model control tokens such as <|endofprompt|> (<|im_start|> at position 3)');
  });
});
