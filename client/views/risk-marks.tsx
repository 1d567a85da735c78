/**
 * The risk flag where a therapist reads a client's message (issue 11): a small, calm label
 * naming what the on-device detector found ("Risk language: plan, means") and the matched words
 * highlighted in the text as `<mark>` elements holding text nodes (client/triage/highlight.ts),
 * never HTML. The label is the text's accessible description (`aria-describedby`) and names
 * the highlighted words for those who cannot see the highlight. It decides, blocks and sends
 * nothing (client/triage/risk-flag.ts).
 * @module
 */
import { Fragment } from 'preact';
import { pieces } from '../triage/highlight.ts';
import { riskLabel, type RiskCategory, type RiskMatch } from '../triage/risk.ts';

export function RiskLabel({ id, categories, matches }: { id: string; categories: readonly RiskCategory[]; matches: readonly RiskMatch[] }) {
  const words = [...new Set(matches.map((m) => m.term))];
  return (
    <p class="risk-label" id={id}>
      {riskLabel(categories)}
      {words.length > 0 && <span class="visually-hidden">. Highlighted words: {words.map((w) => `“${w}”`).join(', ')}</span>}
    </p>
  );
}

/** `text` (its first `length` units) with the matches marked. */
export function MarkedText({ text, matches, length }: { text: string; matches: readonly RiskMatch[]; length?: number }) {
  return (
    <>
      {pieces(text, matches, length).map((p, i) =>
        p.marked ? (
          <mark key={i} class="risk-mark">
            {p.text}
          </mark>
        ) : (
          <Fragment key={i}>{p.text}</Fragment>
        ),
      )}
    </>
  );
}
