/**
 * Directional formatting characters in names someone else chose (issue 9 item 14). A file name
 * `invoice<U+202E>fdp.exe` renders as "invoiceexe.pdf": the right-to-left override reverses
 * what follows it. File names are attacker-controlled and short, and a legitimate one never
 * needs an embedding, override, isolate or mark (Unicode's Bidi_Control property: U+061C,
 * U+200E, U+200F, U+202A–U+202E, U+2066–U+2069; UAX #9 §2), so each is replaced by a visible
 * escape such as "⟨U+202E⟩": the person sees that something was hidden there, and the real
 * extension stays where it is. The same name is used for the saved file.
 *
 * Message text keeps its characters (Arabic or Hebrew writers may use marks on purpose); it is
 * rendered bidi-isolated instead (`dir="auto"` and `unicode-bidi: isolate`, styles.css), so an
 * override inside a message cannot reorder anything around it. Names get both.
 * Does not: touch other invisible characters (zero-width spaces and joiners reorder nothing).
 * @module
 */

/** Every character with Unicode's Bidi_Control property. */
export const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;
const ALL = new RegExp(BIDI_CONTROLS.source, 'g');

/** `name` with each directional control shown as "⟨U+XXXX⟩" instead of obeyed. */
export const showBidiControls = (name: string): string =>
  name.replace(ALL, (c) => `⟨U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`);

/** A file name as shown and saved: directional controls visible, inside its own bidi isolate. */
export function FileName({ name }: { name: string }) {
  return (
    <bdi class="file-name" dir="auto">
      {showBidiControls(name)}
    </bdi>
  );
}
