// `npm run docs:config`: rewrites the README's configuration table from the settings table
// (src/config/settings.ts). test/docs/readme.test.ts fails until this has been run.
import { readFileSync, writeFileSync } from 'node:fs';
import { configTableMarkdown } from '../src/config/table.js';

const path = new URL('../README.md', import.meta.url);
const readme = readFileSync(path, 'utf8');
const marked = /(<!-- config-table:start -->\n)[\s\S]*?(\n<!-- config-table:end -->)/;
if (!marked.test(readme)) throw new Error('README.md lacks the config-table markers');
writeFileSync(path, readme.replace(marked, (_m, start: string, end: string) => `${start}${configTableMarkdown()}${end}`));
