import { describe, expect, it } from 'vitest';
import { pieces } from './highlight.ts';
import { detectRisk } from './risk.ts';

describe('pieces', () => {
  it('marks each match and keeps the text whole', () => {
    const text = 'I want to die and I have the pills';
    const p = pieces(text, detectRisk(text).matches);
    expect(p.map((x) => x.text).join('')).toBe(text);
    expect(p.filter((x) => x.marked).map((x) => x.text)).toEqual(['want to die', 'pills']);
  });

  it('merges overlapping and touching matches into one highlight', () => {
    const text = "I'm going to kill myself";
    const p = pieces(text, detectRisk(text).matches);
    expect(p).toEqual([{ text, marked: true }]);
    expect(pieces('abcdef', [{ start: 0, end: 2 }, { start: 2, end: 4 }])).toEqual([
      { text: 'abcd', marked: true },
      { text: 'ef', marked: false },
    ]);
  });

  it('cuts at the visible length of a collapsed message', () => {
    expect(pieces('abcdefgh', [{ start: 2, end: 6 }], 4)).toEqual([
      { text: 'ab', marked: false },
      { text: 'cd', marked: true },
    ]);
    expect(pieces('abcdefgh', [{ start: 5, end: 6 }], 4)).toEqual([{ text: 'abcd', marked: false }]);
  });

  it('no matches: the text as one plain piece; no text: nothing', () => {
    expect(pieces('hello', [])).toEqual([{ text: 'hello', marked: false }]);
    expect(pieces('', [])).toEqual([]);
  });
});
