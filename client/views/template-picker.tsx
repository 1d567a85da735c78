/**
 * Inserting a reply template into the composer (client/data/templates.ts), for therapists: the
 * "Templates" button, or "/" typed at the start of an empty line, opens a list of them (WAI-ARIA
 * listbox: focus moves into it, Up/Down/Home/End choose, Enter inserts at the cursor, Escape
 * closes). Opened by "/", Escape and an empty list type the "/" after all, so a message can
 * still start with one. The composer renders the picker and hands it its text setter; the text
 * stays editable before sending.
 * @module
 */
import { signal } from '@preact/signals';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Templates, type ReplyTemplate } from '../data/templates.ts';
import { session } from '../state/session.ts';
import { navigate, profile } from '../state/signals.ts';

/** The open list, and whether a "/" opened it (its keystroke is owed to the text). */
const open = signal<{ slash: boolean } | undefined>(undefined);

const LIST_ID = 'template-list';
const optionId = (i: number) => `template-option-${i}`;

/** "/" at the start of an empty line (nothing else selected, no modifier): open the list instead of typing it. For the composer's onKeyDown. */
export function slashOpensTemplates(e: KeyboardEvent): boolean {
  if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || profile.value?.role !== 'therapist') return false;
  const area = e.currentTarget as HTMLTextAreaElement;
  const { value, selectionStart: start, selectionEnd: end } = area;
  const lineEmpty = start === end && (start === 0 || value[start - 1] === '\n') && (end === value.length || value[end] === '\n');
  if (!lineEmpty) return false;
  e.preventDefault();
  open.value = { slash: true };
  return true;
}

export function TemplatePicker({ textareaId, onChange }: { textareaId: string; onChange: (text: string) => void }) {
  const [list, setList] = useState<ReplyTemplate[] | undefined>();
  const [active, setActive] = useState(0);
  const listRef = useRef<HTMLUListElement>(null);
  const state = open.value;

  // Read them fresh each time the list opens (settings may have changed them).
  useEffect(() => {
    if (!state) return setList(undefined);
    const s = session();
    if (!s) return;
    let live = true;
    void new Templates(s.vault).list().then((l) => {
      if (!live) return;
      if (l.length === 0 && state.slash) return close(true);
      setList(l);
      setActive(0);
      requestAnimationFrame(() => listRef.current?.focus());
    });
    return () => {
      live = false;
    };
  }, [state]);
  // Leaving the conversation closes it.
  useEffect(() => () => void (open.value = undefined), []);

  const area = () => document.getElementById(textareaId) as HTMLTextAreaElement | null;
  /** Puts `text` at the cursor (replacing a selection) and the cursor after it. */
  const insertText = (text: string) => {
    const el = area();
    if (!el) return;
    const start = el.selectionStart;
    const value = el.value.slice(0, start) + text + el.value.slice(el.selectionEnd);
    onChange(value);
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(start + text.length, start + text.length);
    });
  };
  function close(typeSlash: boolean) {
    const slash = open.value?.slash === true;
    open.value = undefined;
    if (slash && typeSlash) insertText('/');
    else requestAnimationFrame(() => area()?.focus());
  }
  const choose = (t: ReplyTemplate) => {
    open.value = undefined;
    insertText(t.text);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (!list || list.length === 0) return;
    const last = list.length - 1;
    const move = (i: number) => {
      e.preventDefault();
      setActive(i);
      document.getElementById(optionId(i))?.scrollIntoView({ block: 'nearest' });
    };
    if (e.key === 'ArrowDown') move(Math.min(last, active + 1));
    else if (e.key === 'ArrowUp') move(Math.max(0, active - 1));
    else if (e.key === 'Home') move(0);
    else if (e.key === 'End') move(last);
    else if (e.key === 'Enter') {
      e.preventDefault();
      choose(list[active]!);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      close(true);
    } else if (e.key === 'Tab') open.value = undefined;
  };

  if (profile.value?.role !== 'therapist') return null;
  return (
    <div class="template-picker">
      <button type="button" aria-haspopup="listbox" aria-expanded={state !== undefined} aria-controls={state ? LIST_ID : undefined} onClick={() => (open.value = state ? undefined : { slash: false })}>
        Templates
      </button>
      {state && list && list.length === 0 && (
        <div class="template-list" role="status">
          <p>No reply templates yet.</p>
          <button type="button" class="link" onClick={() => navigate('#/settings')}>
            Write them in Settings
          </button>
        </div>
      )}
      {state && list && list.length > 0 && (
        <ul
          id={LIST_ID}
          ref={listRef}
          class="template-list"
          role="listbox"
          tabIndex={0}
          aria-label="Reply templates: Enter inserts, Escape closes"
          aria-activedescendant={optionId(active)}
          onKeyDown={onKeyDown}
          onBlur={(e) => {
            // Clicking an option keeps it open long enough to choose; leaving it elsewhere closes it.
            if (!(e.relatedTarget instanceof Node && e.currentTarget.parentElement?.contains(e.relatedTarget))) open.value = undefined;
          }}
        >
          {list.map((t, i) => (
            <li
              key={t.id}
              id={optionId(i)}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => choose(t)}
            >
              <span class="template-title" dir="auto">
                {t.title}
              </span>
              {t.text !== t.title && (
                <span class="muted" dir="auto">
                  {t.text.length > 120 ? `${t.text.slice(0, 119)}…` : t.text}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
