/**
 * What a search result shows of its message: an excerpt around the first matching word, cut
 * into pieces that did or did not match, for the view to render as text nodes (a `<mark>` per
 * match, never HTML built from the message: client/views/search.tsx).
 * @module
 */
import { processTerm, words } from './terms.ts';

export interface Piece {
  readonly text: string;
  readonly match: boolean;
}

/** Characters shown before the first match; the excerpt is at most `EXCERPT` long. */
const BEFORE = 60;
const EXCERPT = 240;

/**
 * `text` cut into pieces, a word marked when its term is one of `terms` (the index terms a
 * result matched, MiniSearch's `SearchResult.terms`). A long text is shortened to an excerpt
 * that starts a little before the first match, with "…" where it was cut.
 */
export function highlight(text: string, terms: readonly string[]): Piece[] {
  const wanted = new Set(terms);
  const hits: { start: number; end: number }[] = [];
  for (const w of words(text)) {
    const term = processTerm(w.word);
    if (term !== null && wanted.has(term)) hits.push(w);
  }
  let from = 0;
  let to = text.length;
  if (text.length > EXCERPT) {
    const first = hits[0]?.start ?? 0;
    from = first <= BEFORE ? 0 : boundary(text, first - BEFORE);
    to = Math.min(text.length, from + EXCERPT);
  }
  const pieces: Piece[] = [];
  const push = (piece: string, match: boolean): void => {
    if (piece) pieces.push({ text: piece, match });
  };
  if (from > 0) push('…', false);
  let at = from;
  for (const h of hits) {
    if (h.end <= from || h.start >= to) continue;
    const start = Math.max(h.start, at);
    const end = Math.min(h.end, to);
    push(text.slice(at, start), false);
    push(text.slice(start, end), true);
    at = end;
  }
  push(text.slice(at, to), false);
  if (to < text.length) push('…', false);
  return pieces;
}

/** The start of the first word that starts at or after `i` (never inside a word or a surrogate pair). */
function boundary(text: string, i: number): number {
  for (const w of words(text)) if (w.start >= i) return w.start;
  return i;
}
