/**
 * The therapist's screen at 1024 px and wider: the inbox and the open conversation side by side.
 * The inbox is the same component whichever conversation is open (the route changes only the
 * right pane), so it keeps its scroll place, its filter and the selection while conversations
 * change. Narrower, the app shows one pane at a time, as before (client/app.tsx).
 *
 * The right pane's top bar (`Pane` context = 'detail') titles the conversation with an h2 under
 * the inbox's h1, and leaves "Lock" and the status line to the inbox's bar: one of each per page.
 * @module
 */
import { signal } from '@preact/signals';
import { ConversationView } from './conversation.tsx';
import { Home } from './home.tsx';
import { Pane } from './pane-context.ts';

/** Where two panes start (64rem at the default 16 px). */
export const TWO_PANES_QUERY = '(min-width: 1024px)';

const query = typeof matchMedia === 'undefined' ? undefined : matchMedia(TWO_PANES_QUERY);
/** The screen is wide enough for two panes (follows resizing and zoom). */
export const wide = signal(query?.matches ?? false);
query?.addEventListener('change', (e) => (wide.value = e.matches));

/**
 * A therapist's inbox and conversation routes, at any width. Wide: both panes. Narrow: the
 * conversation when one is open, else the inbox, as one screen (the wrappers are
 * `display: contents`). The conversation sits at the same place in the tree either way, so a
 * resize across 1024 px keeps it (and its composer) as it is instead of drawing it anew.
 */
export function Panes({ selected, focus }: { selected: string | undefined; focus?: string | undefined }) {
  const two = wide.value;
  const showList = two || selected === undefined;
  return (
    <div class={two ? 'panes' : 'panes one-pane'}>
      <div class="pane-list">
        {showList && (
          <Pane.Provider value={two ? 'list' : undefined}>
            <Home {...(two && selected !== undefined ? { selected } : {})} />
          </Pane.Provider>
        )}
      </div>
      <div class="pane-detail" {...(two ? { role: 'region', 'aria-label': 'Conversation' } : {})}>
        <Pane.Provider value={two ? 'detail' : undefined}>
          {selected !== undefined ? (
            <ConversationView key={selected} id={selected} focus={focus} />
          ) : (
            two && (
              <div class="pane-empty">
                <p class="muted">Choose a conversation to read it here.</p>
              </div>
            )
          )}
        </Pane.Provider>
      </div>
    </div>
  );
}
