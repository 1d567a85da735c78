/**
 * A message's text in the list: bidi-isolated (`dir="auto"`, styles.css `unicode-bidi`), so
 * its own direction controls cannot reorder the time, status or a neighbour; a very long one
 * shows its beginning and a "Show all" disclosure button (aria-expanded, aria-controls), which
 * keyboards and screen readers use like any button (text-limit.ts `preview`). Risk language the
 * detector flagged in a client's message is highlighted, described by its label (risk-marks.tsx).
 * @module
 */
import { useState } from 'preact/hooks';
import type { RiskMatch } from '../triage/risk.ts';
import { MarkedText } from './risk-marks.tsx';
import { preview, shortened } from './text-limit.ts';

/** `risk`: the words to highlight and the id of the label that describes them. */
export function MessageText({ text, id, risk }: { text: string; id: string; risk?: { matches: readonly RiskMatch[]; labelId: string } }) {
  const [open, setOpen] = useState(false);
  const start = preview(text);
  const described = risk ? { 'aria-describedby': risk.labelId } : {};
  if (start === undefined) {
    return (
      <span class="text" dir="auto" {...described}>
        {risk ? <MarkedText text={text} matches={risk.matches} /> : text}
      </span>
    );
  }
  return (
    <>
      <span class="text" dir="auto" id={id} {...described}>
        {risk ? (
          <>
            <MarkedText text={text} matches={risk.matches} {...(open ? {} : { length: start.length })} />
            {open ? '' : '…'}
          </>
        ) : open ? (
          text
        ) : (
          shortened(text)
        )}
      </span>
      <button type="button" class="link show-all" aria-expanded={open} aria-controls={id} onClick={() => setOpen(!open)}>
        {open ? 'Show less' : 'Show all'}
      </button>
    </>
  );
}
