import { it } from 'node:test';
import assert from 'node:assert/strict';
import { closestLanguage, resolveLanguageTag } from './language-tags.js';

it('maps tags as people write them to the engine codes, case-insensitively', () => {
  const cases: Record<string, string> = {
    zh: 'cmn', 'zh-CN': 'cmn', 'zh-Hans': 'cmn', 'cmn-Hans-CN': 'cmn', 'zh-TW': 'cmn', 'zh-Hant': 'cmn', 'ZH_cn': 'cmn', zho: 'cmn', Mandarin: 'cmn', chinese: 'cmn',
    'zh-HK': 'yue', 'zh-yue': 'yue', 'zh-Hant-HK': 'yue', 'zh-MO': 'yue', yue: 'yue', 'yue-Hant-HK': 'yue', Cantonese: 'yue',
    'en-US': 'en', EN: 'en', 'en-gb': 'en', eng: 'en', English: 'en',
    'ja-JP': 'ja', jpn: 'ja', 'ko-KR': 'ko', 'de-DE': 'de', 'es-419': 'es', 'fr-CA': 'fr', 'it-IT': 'it', 'ru-RU': 'ru', cmn: 'cmn',
  };
  for (const [tag, code] of Object.entries(cases)) assert.equal(resolveLanguageTag(tag), code, tag);
});

it('refuses what it does not speak, and names the closest for the message', () => {
  for (const tag of ['pt-BR', 'xx', '', 'klingon', 'zz-zh']) assert.equal(resolveLanguageTag(tag), null, tag);
  assert.equal(closestLanguage('englsh'), 'en');
  assert.equal(closestLanguage('jp'), 'ja');
  assert.equal(closestLanguage('kr'), 'ko');
});
