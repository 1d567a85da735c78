import 'fake-indexeddb/auto';
import MiniSearch from 'minisearch';
import { processTerm, tokenize } from '../../client/search/terms.ts';
import * as S from './zz-tmp-search.ts';
await S.searchSetup();
const texts = S.state!.texts;
const docs = texts.map((text, i) => ({ id: `c${i % 40}\n${i.toString(36).padStart(11, '0')}:m${i}`, text }));
function time(name: string, f: (q: string) => number) {
  for (let w = 0; w < 3; w++) for (const q of S.QUERIES) f(q);
  const per: number[] = [];
  for (const q of S.QUERIES) { const t0 = performance.now(); for (let i = 0; i < 20; i++) f(q); per.push((performance.now() - t0) / 20); }
  per.sort((a, b) => a - b);
  console.log(name.padEnd(40), per[per.length >> 1]!.toFixed(3), 'max', per.at(-1)!.toFixed(3));
}
time('SearchIndex.search', (q) => S.state!.index.search(q).length);
for (const [name, opts] of [
  ['prefix+fuzzy', { combineWith: 'AND', prefix: true, fuzzy: (t: string) => (t.length >= 5 ? 0.2 : false) }],
  ['prefix only', { combineWith: 'AND', prefix: true }],
  ['prefix last term only', { combineWith: 'AND', prefix: (_t: string, i: number, ts: string[]) => i === ts.length - 1 }],
  ['exact', { combineWith: 'AND' }],
] as const) {
  const ms = new MiniSearch({ fields: ['text'], tokenize, processTerm, searchOptions: opts as never });
  ms.addAll(docs);
  time(name, (q) => ms.search(q).length);
}
time('scan', (q) => { const w = q.toLowerCase().split(/\s+/); let n = 0; for (const t of texts) { const l = t.toLowerCase(); if (w.every((x) => l.includes(x))) n++; } return n; });
for (const q of S.QUERIES) {
  const f = (x: string) => S.state!.index.search(x).length;
  for (let w = 0; w < 3; w++) f(q);
  const t0 = performance.now(); for (let i = 0; i < 20; i++) f(q); const a = (performance.now() - t0) / 20;
  const ms = (S.state!.index as any).base.mini as MiniSearch;
  const t1 = performance.now(); for (let i = 0; i < 20; i++) ms.search(q); const b = (performance.now() - t1) / 20;
  console.log(q.padEnd(24), a.toFixed(3), 'raw minisearch', b.toFixed(3), f(q));
}
