/**
 * docs/PROTOCOL.md agrees with the constants a client written from it needs: every label the
 * code uses is in §1's table, and the sizes it names are given with the code's values.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AES_GCM_TAG_LEN, LABEL } from './consts.ts';
import { ATTACHMENT_HEADER_LEN } from './attachment.ts';
import { MIN_ENVELOPE_LEN } from './sealed.ts';

const protocol = readFileSync(new URL('../docs/PROTOCOL.md', import.meta.url), 'utf8');
const section = (n: number): string => {
  const start = protocol.indexOf(`## §${n} `);
  const end = protocol.indexOf('\n## §', start + 1);
  expect(start, `PROTOCOL.md has a §${n}`).toBeGreaterThanOrEqual(0);
  return protocol.slice(start, end < 0 ? undefined : end);
};

/** The labels in §1's table; `a` / `... b` in one cell is a and a with its last word replaced by b. */
function tableLabels(): Set<string> {
  const labels = new Set<string>();
  for (const line of section(1).split('\n')) {
    const cell = /^\| (`Confidant[^|]*) \|/.exec(line)?.[1];
    if (!cell) continue;
    const items = [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const first = items[0]!;
    const stem = first.slice(0, first.lastIndexOf(' ') + 1);
    labels.add(first);
    for (const item of items.slice(1)) labels.add(item.startsWith('... ') ? stem + item.slice(4) : item);
  }
  return labels;
}

/** Non-test sources in shared/ (where every label is used). */
const sources = readdirSync(new URL('.', import.meta.url))
  .filter((f) => /\.ts$/.test(f) && !f.endsWith('.test.ts'))
  .map((f) => readFileSync(new URL(f, import.meta.url), 'utf8'))
  .join('\n');

describe('docs/PROTOCOL.md agrees with the constants', () => {
  it('§1 lists every label the code uses', () => {
    const listed = tableLabels();
    const used = Object.entries(LABEL).filter(([name]) => sources.includes(`LABEL.${name}`));
    expect(used.length).toBeGreaterThan(10);
    for (const [name, label] of used) expect(listed, `LABEL.${name}`).toContain(label);
  });

  it('§6 gives MIN_ENVELOPE_LEN and its value', () => {
    const given = /`MIN_ENVELOPE_LEN`[^*]*\*\*(\d[\d,]*) bytes\*\*/.exec(section(6))?.[1];
    expect(given, 'PROTOCOL.md §6 states MIN_ENVELOPE_LEN as **N bytes**').toBeDefined();
    expect(Number(given!.replace(/,/g, ''))).toBe(MIN_ENVELOPE_LEN);
    expect(MIN_ENVELOPE_LEN).toBe(17 + 32 + 48 + 129 + 1 + AES_GCM_TAG_LEN);
  });

  it('§10 gives the attachment header length', () => {
    expect(/header\s+= fixed \|\| sealedLen\s+(\d+) bytes/.exec(section(10))?.[1]).toBe(String(ATTACHMENT_HEADER_LEN));
  });
});
