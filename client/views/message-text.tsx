/**
 * A message's text in the list: bidi-isolated (`dir="auto"`, styles.css `unicode-bidi`), so
 * its own direction controls cannot reorder the time, status or a neighbour; a very long one
 * shows its beginning and a "Show all" disclosure button (aria-expanded, aria-controls), which
 * keyboards and screen readers use like any button (text-limit.ts `preview`).
 * @module
 */
import { useState } from 'preact/hooks';
import { preview, shortened } from './text-limit.ts';

export function MessageText({ text, id }: { text: string; id: string }) {
  const [open, setOpen] = useState(false);
  const start = preview(text);
  if (start === undefined) {
    return (
      <span class="text" dir="auto">
        {text}
      </span>
    );
  }
  return (
    <>
      <span class="text" dir="auto" id={id}>
        {open ? text : shortened(text)}
      </span>
      <button type="button" class="link show-all" aria-expanded={open} aria-controls={id} onClick={() => setOpen(!open)}>
        {open ? 'Show less' : 'Show all'}
      </button>
    </>
  );
}
