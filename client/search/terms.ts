/**
 * How text becomes search terms, shared by the index (index.ts) and the highlighting of what
 * matched (highlight.ts), so a word is found and marked by the same rule.
 *
 * - Words: runs of characters that are not white space, line breaks or punctuation (Unicode
 *   `Z` and `P`), as MiniSearch's default tokenizer splits them; emoji and symbols are words.
 * - Terms: compatibility-decomposed (NFKD: "ﬁ" is "fi", full-width letters are plain), Latin,
 *   Greek and Cyrillic accents removed (U+0300–U+036F: "café" is found by "cafe"), lowercase.
 *   Marks of other scripts (Devanagari vowel signs, Arabic harakat) are kept: removing them
 *   changes the word.
 * - No stop words: "not", "never", "no" matter in what a client writes.
 * @module
 */

/** A word and where it starts in the text. */
const WORD = /[^\n\r\p{Z}\p{P}]+/gu;
const ACCENTS = /[\u0300-\u036f]/g;

/** The words of `text`, as MiniSearch's `tokenize` option. */
export const tokenize = (text: string): string[] => text.match(WORD) ?? [];

/** A word as it is indexed and searched; null drops it (MiniSearch's `processTerm`). */
export function processTerm(word: string): string | null {
  const term = word.normalize('NFKD').replace(ACCENTS, '').toLowerCase();
  return term.length > 0 ? term : null;
}

/** Each word of `text` with its position (UTF-16 offsets, end exclusive). */
export function* words(text: string): Generator<{ readonly start: number; readonly end: number; readonly word: string }> {
  for (const m of text.matchAll(WORD)) yield { start: m.index, end: m.index + m[0].length, word: m[0] };
}
