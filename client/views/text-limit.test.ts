// @vitest-environment node
/** The composer's length limit and the list's collapse of long messages (issue 9 items 13, 19). */
import { describe, expect, it } from 'vitest';
import { MAX_TEXT_LENGTH } from '../../shared/consts.ts';
import { COLLAPSE_CHARS, COLLAPSE_LINES, COUNTER_FROM, limitMessage, preview, shortened, textLimit } from './text-limit.ts';

describe('textLimit', () => {
  it('is the protocol limit, from shared', () => {
    expect(textLimit('').max).toBe(MAX_TEXT_LENGTH);
  });

  it('says nothing far from the limit, counts down near it, and says by how much it is over', () => {
    expect(textLimit('hello')).toMatchObject({ length: 5, near: false, over: false });
    const from = Math.ceil(MAX_TEXT_LENGTH * COUNTER_FROM);
    expect(textLimit('a'.repeat(from - 1)).near).toBe(false);
    expect(textLimit('a'.repeat(from))).toMatchObject({ near: true, over: false, left: MAX_TEXT_LENGTH - from });
    expect(textLimit('a'.repeat(MAX_TEXT_LENGTH))).toMatchObject({ near: true, over: false, left: 0 });
    expect(textLimit('a'.repeat(MAX_TEXT_LENGTH + 50))).toMatchObject({ near: true, over: true, overBy: 50 });
  });

  it('counts what would be sent: surrounding blank space is not sent', () => {
    expect(textLimit(`  ${'a'.repeat(MAX_TEXT_LENGTH)}\n\n `).over).toBe(false);
  });

  it('counts as the protocol does (UTF-16 units)', () => {
    expect(textLimit('🙂').length).toBe(2);
  });
});

describe('limitMessage', () => {
  it('is silent far from the limit, counts down near it, and says by how much it is over', () => {
    expect(limitMessage(textLimit('hello'))).toBe('');
    expect(limitMessage(textLimit('a'.repeat(MAX_TEXT_LENGTH - 1_000)))).toBe('1,000 characters left');
    expect(limitMessage(textLimit('a'.repeat(MAX_TEXT_LENGTH - 1)))).toBe('1 character left');
    expect(limitMessage(textLimit('a'.repeat(MAX_TEXT_LENGTH + 1)))).toMatch(/^Too long by 1 character\. A message can have up to 16,000/);
    expect(limitMessage(textLimit('a'.repeat(MAX_TEXT_LENGTH + 2_345)))).toMatch(/^Too long by 2,345 characters\./);
  });
});

describe('preview', () => {
  it('leaves short messages whole', () => {
    expect(preview('a short message')).toBeUndefined();
    expect(preview('a'.repeat(COLLAPSE_CHARS))).toBeUndefined();
    expect(preview(Array.from({ length: COLLAPSE_LINES }, () => 'line').join('\n'))).toBeUndefined();
  });

  it('cuts a long message to its beginning', () => {
    const long = 'word '.repeat(3000);
    const cut = preview(long)!;
    expect(cut.length).toBeLessThan(COLLAPSE_CHARS);
    expect(long.startsWith(cut)).toBe(true);
  });

  it('cuts a message of many short lines too', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n');
    const cut = preview(lines)!;
    expect(cut.split('\n').length).toBeLessThan(COLLAPSE_LINES);
  });

  it('never splits a character made of two UTF-16 units', () => {
    for (let shift = 0; shift < 4; shift++) {
      const cut = preview('x'.repeat(shift) + '🙂'.repeat(2000))!;
      expect(cut).toBe(cut.normalize());
      expect(/[\uD800-\uDBFF]$/.test(cut)).toBe(false);
    }
  });
});

describe('shortened', () => {
  it('is the text when short, its beginning and an ellipsis when long', () => {
    expect(shortened('short')).toBe('short');
    const long = 'word '.repeat(3000);
    expect(shortened(long)).toBe(`${preview(long)}…`);
  });
});
