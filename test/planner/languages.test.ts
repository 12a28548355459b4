// Languages in the plan report: what each workload tag was planned as (the engine code, its
// name, the tag as written), in the JSON and on the summary line of the text and markdown forms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plan, type PlanResult } from '../../src/planner/plan.js';
import { renderJson, renderMarkdown, renderTable } from '../../src/planner/report.js';
import { workload } from './helpers.js';

test('the plan report shows the languages planned: the engine code each tag resolved to, and the tag as written', () => {
  const w = workload({ language: [{ code: 'zh-CN', share: 0.6, charsPerSecond: 4.5 }, { code: 'EN', share: 0.3, charsPerSecond: 15 }, { code: 'yue', share: 0.1, charsPerSecond: 4.5 }] });
  const result = plan({ workload: { ...w, instanceTypes: ['g5.xlarge'] }, strategies: ['always-on'], sensitivityTop: 0 });
  assert.deepEqual(result.workload.languages, [
    { code: 'cmn', name: 'Mandarin Chinese', tag: 'zh-CN', share: 0.6, charsPerSecond: 4.5 },
    { code: 'en', name: 'English', tag: 'EN', share: 0.3, charsPerSecond: 15 },
    { code: 'yue', name: 'Cantonese', share: 0.1, charsPerSecond: 4.5 },
  ]);
  const line = 'Languages: cmn (Mandarin Chinese, written "zh-CN") 60%, en (English, written "EN") 30%, yue (Cantonese) 10%.';
  assert.ok(renderTable(result).includes(line), renderTable(result).split('\n')[0]);
  assert.ok(renderMarkdown(result).includes(line));
  assert.equal((JSON.parse(renderJson(result)) as PlanResult).workload.languages[0]?.code, 'cmn');
});
