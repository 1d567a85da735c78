// @vitest-environment node
/** Directional controls in file names (issue 9 item 14): shown, never obeyed. */
import { describe, expect, it } from 'vitest';
import { BIDI_CONTROLS, showBidiControls } from './bidi.tsx';

describe('showBidiControls', () => {
  it('turns the right-to-left override of a spoofed name into a visible escape', () => {
    // Rendered raw, this shows as "invoiceexe.pdf".
    expect(showBidiControls('invoice\u202Efdp.exe')).toBe('invoice⟨U+202E⟩fdp.exe');
  });

  it('covers every embedding, override, isolate and mark', () => {
    const all = [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c];
    for (const cp of all) {
      const shown = showBidiControls(`a${String.fromCodePoint(cp)}b`);
      expect(shown).toBe(`a⟨U+${cp.toString(16).toUpperCase().padStart(4, '0')}⟩b`);
      expect(BIDI_CONTROLS.test(shown)).toBe(false);
    }
  });

  it('leaves ordinary names alone, right-to-left scripts included', () => {
    for (const name of ['fjellstrom-journal-scan.pdf', 'تقرير.pdf', 'דוח שנתי.docx', 'Übung 3 – Atemtechnik 🙂.png', '']) {
      expect(showBidiControls(name)).toBe(name);
    }
  });

  it('escapes several controls in a row', () => {
    expect(showBidiControls('\u2067\u202Eab\u202C\u2069')).toBe('⟨U+2067⟩⟨U+202E⟩ab⟨U+202C⟩⟨U+2069⟩');
  });
});
