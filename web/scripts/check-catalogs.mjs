// check-catalogs fails when the message catalogs differ in their keys
// (every language complete), when a message is empty, or when the code
// names a key (t('a.b'), i18nKey="a.b") that the English catalog lacks.
// Run by `npm run catalogs`, so by `make test`.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('../src/i18n/', import.meta.url);
const languages = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

function flatten(obj, prefix = '', out = new Map()) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object') flatten(v, key, out);
    else out.set(key, v);
  }
  return out;
}

const catalogs = new Map(
  languages.map((f) => [f, flatten(JSON.parse(readFileSync(new URL(f, dir), 'utf8')))]),
);
const problems = [];
const reference = catalogs.get('en.json');
if (!reference) problems.push('src/i18n/en.json is missing');

for (const [file, keys] of catalogs) {
  for (const [key, value] of keys) {
    if (typeof value !== 'string' || value.trim() === '') problems.push(`${file}: ${key} is empty or not text`);
  }
  if (!reference || keys === reference) continue;
  for (const key of reference.keys()) if (!keys.has(key)) problems.push(`${file}: lacks ${key} (en.json has it)`);
  for (const key of keys.keys()) if (!reference.has(key)) problems.push(`${file}: has ${key}, which en.json lacks`);
}

// Keys the code names literally must exist (plural forms: key_one, key_other).
function sources(d) {
  return readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.tsx?$/.test(f) && !f.endsWith('.d.ts') ? [p] : [];
  });
}
const used = /\b(?:t|i18n\.t)\(\s*['"]([\w.-]+)['"]|i18nKey=["']([\w.-]+)["']/g;
for (const file of sources(new URL('../src/', import.meta.url).pathname)) {
  for (const m of readFileSync(file, 'utf8').matchAll(used)) {
    const key = m[1] ?? m[2];
    if (reference && !reference.has(key) && !reference.has(`${key}_one`) && !reference.has(`${key}_other`)) {
      problems.push(`${file}: uses ${key}, which en.json lacks`);
    }
  }
}

if (problems.length > 0) {
  console.error(`The message catalogs (src/i18n) are not in step:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`catalogs: ${languages.join(', ')} have the same ${reference.size} keys`);
