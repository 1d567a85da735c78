/**
 * Settings: the therapist's reply templates (client/data/templates.ts): write, change and remove
 * the texts the composer can insert (views/template-picker.tsx). Kept in the vault; never sent
 * until the therapist sends a message with one.
 * @module
 */
import { useEffect, useState } from 'preact/hooks';
import { MAX_TEXT_LENGTH } from '../../shared/consts.ts';
import { MAX_TEMPLATE_TITLE, Templates, type ReplyTemplate } from '../data/templates.ts';
import { session } from '../state/session.ts';
import { ErrorAlert } from './error-alert.tsx';

export function TemplatesSettings() {
  const [list, setList] = useState<ReplyTemplate[]>([]);
  const [editing, setEditing] = useState<string | undefined>();
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const [announce, setAnnounce] = useState('');
  const s = session();
  const store = s && new Templates(s.vault);

  const reload = async () => {
    if (store) setList(await store.list());
  };
  useEffect(() => {
    void reload();
  }, []);

  const reset = () => {
    setEditing(undefined);
    setTitle('');
    setText('');
    setError('');
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!store) return;
    try {
      const saved = await store.save({ ...(editing ? { id: editing } : {}), title, text }, Date.now());
      reset();
      await reload();
      setAnnounce(`Template "${saved.title}" saved.`);
    } catch (err) {
      setError(err instanceof RangeError ? err.message : 'The template could not be saved on this device. Try again.');
    }
  };
  const edit = (t: ReplyTemplate) => {
    setEditing(t.id);
    setTitle(t.title);
    setText(t.text);
    document.getElementById('template-title')?.focus();
  };
  const remove = async (t: ReplyTemplate) => {
    if (!store) return;
    await store.remove(t.id);
    if (editing === t.id) reset();
    await reload();
    setAnnounce(`Template "${t.title}" removed.`);
  };

  return (
    <section class="card" aria-labelledby="templates-title">
      <h2 id="templates-title">Reply templates</h2>
      <p class="muted">
        Texts you often write. In a conversation, press the Templates button, or type “/” at the start of an empty line, to put one into your message; you can change
        it before sending. Kept encrypted on this device.
      </p>
      {list.length > 0 && (
        <ul class="templates-list" aria-label="Your templates">
          {list.map((t) => (
            <li key={t.id}>
              <strong dir="auto">{t.title}</strong>
              <span dir="auto">{t.text}</span>
              <div class="actions-row">
                <button type="button" onClick={() => edit(t)} aria-label={`Change template ${t.title}`}>
                  Change
                </button>
                <button type="button" class="danger" onClick={() => void remove(t)} aria-label={`Remove template ${t.title}`}>
                  Remove
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={submit} aria-labelledby="template-form-title">
        <h3 id="template-form-title">{editing ? 'Change the template' : 'New template'}</h3>
        <div class="field">
          <label for="template-title">Title (optional)</label>
          <input id="template-title" autocomplete="off" maxLength={MAX_TEMPLATE_TITLE} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="template-text">Template text</label>
          <textarea id="template-text" rows={4} dir="auto" autocomplete="off" maxLength={MAX_TEXT_LENGTH} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </div>
        <ErrorAlert message={error} />
        <div class="actions-row">
          <button type="submit" class="primary">
            {editing ? 'Save changes' : 'Add template'}
          </button>
          {editing && (
            <button type="button" onClick={reset}>
              Cancel
            </button>
          )}
        </div>
      </form>
      <p class="visually-hidden" aria-live="polite">
        {announce}
      </p>
    </section>
  );
}
