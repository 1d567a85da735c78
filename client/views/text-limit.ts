/**
 * How long a message may be, as the composer and the list show it (issue 9 items 13 and 19).
 * The limit is the protocol's (`MAX_TEXT_LENGTH`, shared/consts.ts, in UTF-16 code units as
 * the payload schema counts them): the composer never cuts text to fit, it counts down from
 * `COUNTER_FROM` of the limit and refuses to send, saying by how much, when the text is over.
 * What counts is what would be sent: the text without surrounding blank space.
 *
 * In the list, a message over `COLLAPSE_CHARS` characters or `COLLAPSE_LINES` lines shows its
 * beginning (`preview`) and a "Show all" button.
 * @module
 */
import { MAX_TEXT_LENGTH } from '../../shared/consts.ts';

/** The counter appears at 90 % of the limit (14,400 characters). */
export const COUNTER_FROM = 0.9;
export const COLLAPSE_CHARS = 1_200;
export const COLLAPSE_LINES = 20;
const PREVIEW_CHARS = 480;
const PREVIEW_LINES = 8;

export interface TextLimit {
  /** The limit (MAX_TEXT_LENGTH). */
  readonly max: number;
  /** Length of what would be sent. */
  readonly length: number;
  /** Show the counter. */
  readonly near: boolean;
  readonly over: boolean;
  /** Characters left (0 when over). */
  readonly left: number;
  /** Characters too many (0 when not over). */
  readonly overBy: number;
}

export function textLimit(text: string): TextLimit {
  const length = text.trim().length;
  return {
    max: MAX_TEXT_LENGTH,
    length,
    near: length >= Math.ceil(MAX_TEXT_LENGTH * COUNTER_FROM),
    over: length > MAX_TEXT_LENGTH,
    left: Math.max(0, MAX_TEXT_LENGTH - length),
    overBy: Math.max(0, length - MAX_TEXT_LENGTH),
  };
}

const count = (n: number): string => n.toLocaleString('en');

/** What the composer says near and over the limit ('' when far from it). */
export function limitMessage(l: TextLimit): string {
  if (l.over) return `Too long by ${count(l.overBy)} character${l.overBy === 1 ? '' : 's'}. A message can have up to ${count(l.max)}: shorten it, or send it in two parts.`;
  if (l.near) return `${count(l.left)} character${l.left === 1 ? '' : 's'} left`;
  return '';
}

/** The beginning of a long message for the collapsed list, or undefined when it is short enough to show whole. */
export function preview(text: string): string | undefined {
  const lines = text.split('\n');
  if (text.length <= COLLAPSE_CHARS && lines.length <= COLLAPSE_LINES) return undefined;
  let cut = lines.slice(0, PREVIEW_LINES).join('\n');
  if (cut.length > PREVIEW_CHARS) cut = cut.slice(0, PREVIEW_CHARS);
  // Never end on the first half of a surrogate pair (an emoji cut in two).
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut.trimEnd();
}

/** `text`, or its beginning and "…" when it is long (a quoted message, a collapsed one). */
export function shortened(text: string): string {
  const start = preview(text);
  return start === undefined ? text : `${start}…`;
}
