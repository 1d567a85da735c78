/**
 * A text cut into the pieces a view renders, plain or highlighted, from the detector's matches
 * (risk.ts `RiskMatch`): overlapping or touching matches become one highlight, and a match
 * that runs past `length` (the visible beginning of a collapsed long message) is cut there.
 * Each piece is rendered as a text node (client/views/risk-marks.tsx), never as HTML.
 * @module
 */
import type { RiskMatch } from './risk.ts';

export interface Piece {
  readonly text: string;
  readonly marked: boolean;
}

/** `text` (its first `length` UTF-16 units) as plain and marked pieces, in order; joined, they are that text. */
export function pieces(text: string, matches: readonly Pick<RiskMatch, 'start' | 'end'>[], length: number = text.length): Piece[] {
  const shown = text.slice(0, length);
  const ranges = matches
    .map((m) => ({ start: Math.max(0, m.start), end: Math.min(shown.length, m.end) }))
    .filter((r) => r.start < r.end)
    .sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number }[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else merged.push({ ...r });
  }
  const out: Piece[] = [];
  let at = 0;
  for (const r of merged) {
    if (r.start > at) out.push({ text: shown.slice(at, r.start), marked: false });
    out.push({ text: shown.slice(r.start, r.end), marked: true });
    at = r.end;
  }
  if (at < shown.length) out.push({ text: shown.slice(at), marked: false });
  return out;
}
