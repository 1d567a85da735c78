/**
 * Search across every conversation (`#/search`): a labelled search field, the number of
 * messages found announced politely, and the results as a list of links, newest first, each
 * with the conversation's name, who wrote it, when, and the words that matched marked. The
 * index is client/search/; the texts shown are read from the vault for the results on screen
 * only. Selecting a result opens its conversation at that message (`#/c/<id>/m/<message id>`).
 *
 * Everything shown is text: the excerpt is pieces of the message in text nodes and `<mark>`s
 * (client/search/highlight.ts), bidi-isolated like a message, the name in a `<bdi>`. The field
 * is kept out of the browser's form history (`autocomplete="off"`) and spell-checking (a
 * browser may send spell-checked words to a service). The query is remembered for the open
 * session only, so "Back" from a result finds the same list; a lock forgets it.
 * @module
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { StoredMessage } from '../data/records.ts';
import { highlight } from '../search/highlight.ts';
import { SearchHits } from '../search/index.ts';
import { session, type Session } from '../state/session.ts';
import { conversations, messagesVersion, profile } from '../state/signals.ts';
import { TopBar } from './topbar.tsx';

/** Results shown at first and added by "Show more results". */
const PAGE = 30;
/** Quiet time after typing before the count is announced (not one announcement per key). */
const ANNOUNCE_AFTER_MS = 600;

/** The last query per session: forgotten with it (a lock). */
const remembered = new WeakMap<Session, string>();

const when = (ms: number): string => new Date(ms).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
const counted = (n: number): string => (n === 1 ? '1 message found' : `${n} messages found`);

export function SearchView() {
  const s = session();
  const [query, setQuery] = useState(() => (s && remembered.get(s)) ?? '');
  const [ready, setReady] = useState(s?.search?.state === 'ready');
  const [shown, setShown] = useState(PAGE);
  const [texts, setTexts] = useState<ReadonlyMap<string, StoredMessage>>(new Map());
  const [announced, setAnnounced] = useState('');
  const version = messagesVersion.value;
  const field = useRef<HTMLInputElement>(null);

  useEffect(() => field.current?.focus(), []);

  useEffect(() => {
    let live = true;
    void s?.search?.ready.then(() => live && setReady(true));
    return () => {
      live = false;
    };
  }, [s]);

  const hits = useMemo(() => (ready && s?.search ? s.search.search(query) : new SearchHits([])), [query, ready, version, s]);
  const visible = hits.slice(0, shown);

  // The texts of the results on screen, from the vault.
  useEffect(() => {
    if (!s) return;
    let live = true;
    void Promise.all(visible.map((h) => s.records.message(h.conversationId, h.messageId))).then((found) => {
      if (!live) return;
      const byHit = new Map<string, StoredMessage>();
      visible.forEach((h, i) => found[i] && byHit.set(`${h.conversationId}/${h.messageId}`, found[i]));
      setTexts(byHit);
    });
    return () => {
      live = false;
    };
  }, [visible.map((h) => h.key).join(','), s]);

  useEffect(() => {
    const text = !query.trim() ? '' : !ready ? 'Search is getting ready.' : counted(hits.length);
    const timer = setTimeout(() => setAnnounced(text), ANNOUNCE_AFTER_MS);
    return () => clearTimeout(timer);
  }, [query, ready, hits.length]);

  const onInput = (value: string): void => {
    setQuery(value);
    setShown(PAGE);
    if (s) remembered.set(s, value);
  };

  const isTherapist = profile.value?.role === 'therapist';
  const labels = new Map(conversations.value.map((c) => [c.id, c.label]));
  return (
    <div class="app-frame">
      <TopBar title="Search" back="#/" />
      <main class="screen search-screen" id="main">
        <form role="search" class="search-form" onSubmit={(e) => e.preventDefault()}>
          <label for="search-query">{isTherapist ? 'Search all conversations' : 'Search your messages'}</label>
          <input
            id="search-query"
            type="search"
            ref={field}
            value={query}
            autocomplete="off"
            spellcheck={false}
            aria-describedby="search-hint"
            onInput={(e) => onInput(e.currentTarget.value)}
          />
          <p id="search-hint" class="hint">
            Finds messages with every word you type, from both sides, on this device only. Nothing you search for leaves it.
          </p>
        </form>
        <p class="visually-hidden" role="status" aria-live="polite">
          {announced}
        </p>
        {!ready && (
          <p class="muted" aria-busy="true">
            Search is getting ready…
          </p>
        )}
        {ready && query.trim() !== '' && (
          <>
            <h2 id="results-title" class="results-title">
              {counted(hits.length)}
            </h2>
            {hits.length > 0 && (
              <ol class="search-results" aria-labelledby="results-title">
                {visible.map((h) => {
                  const m = texts.get(`${h.conversationId}/${h.messageId}`);
                  const label = labels.get(h.conversationId) ?? 'Conversation';
                  return (
                    <li key={`${h.conversationId}/${h.key}`}>
                      <a class="search-result" href={`#/c/${encodeURIComponent(h.conversationId)}/m/${encodeURIComponent(h.messageId)}`}>
                        <span class="result-head">
                          <bdi class="name" dir="auto">
                            {label}
                          </bdi>
                          <span class="muted">
                            {m ? (m.mine ? 'You · ' : '') : ''}
                            <time dateTime={new Date(h.sentAt).toISOString()}>{when(h.sentAt)}</time>
                          </span>
                        </span>
                        <span class="text" dir="auto">
                          {m?.text === undefined ? '…' : highlight(m.text, h.terms).map((p, i) => (p.match ? <mark key={i}>{p.text}</mark> : p.text))}
                        </span>
                      </a>
                    </li>
                  );
                })}
              </ol>
            )}
            {hits.length > shown && (
              <button type="button" onClick={() => setShown(shown + PAGE)}>
                Show more results
              </button>
            )}
          </>
        )}
      </main>
    </div>
  );
}
