// Writes a results file's markdown again from its JSON (after the report gained a column, say):
// `node dist/bench/report/rerender.js bench/results/<name>.results.json` → bench/results/<name>.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderMarkdown } from './report';
import type { Results } from './results';

const file = process.argv[2];
if (file === undefined || !file.endsWith('.json')) throw new Error('usage: rerender <bench/results/name[.results].json>');
const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
writeFileSync(file.replace(/(\.results)?\.json$/, '.md'), renderMarkdown(results));
