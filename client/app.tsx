/**
 * The app's top level: the screen follows from the phase (client/state/signals.ts) and the URL
 * fragment. Locked shows only the unlock screen, whatever the route says.
 * @module
 */
import { useEffect } from 'preact/hooks';
import { boot } from './state/lock.ts';
import { conversations, phase, profile, route } from './state/signals.ts';
import { ConsentHistory } from './views/consent-history.tsx';
import { ConversationView } from './views/conversation.tsx';
import { GetHelp } from './views/help.tsx';
import { Home } from './views/home.tsx';
import { InviteClient } from './views/invite.tsx';
import { Join } from './views/join.tsx';
import { Panes } from './views/panes.tsx';
import { SearchView } from './views/search.tsx';
import { Settings } from './views/settings.tsx';
import { Restore } from './views/restore.tsx';
import { SecurityLog } from './views/security-log.tsx';
import { SetupTherapist } from './views/setup-therapist.tsx';
import { Unlock } from './views/unlock.tsx';
import { Verify } from './views/verify.tsx';
import { Welcome } from './views/welcome.tsx';

const param = (hash: string, prefix: string): string | undefined => (hash.startsWith(prefix) ? decodeURIComponent(hash.slice(prefix.length)) : undefined);

export function App() {
  useEffect(() => {
    void boot();
  }, []);
  const hash = route.value;
  switch (phase.value) {
    case 'starting':
      return (
        <main class="boot" aria-busy="true">
          <p>Opening Confidant…</p>
        </main>
      );
    case 'welcome':
      if (hash.startsWith('#/join/')) return <Join hash={hash} />;
      if (hash === '#/setup') return <SetupTherapist />;
      if (hash === '#/restore') return <Restore />;
      return <Welcome />;
    case 'locked':
      return <Unlock />;
    case 'ready': {
      const c = param(hash, '#/c/');
      // `#/c/<id>/m/<messageId>`: a search result, opened at that message (views/search.tsx).
      const [conversationId, focus] = c === undefined ? [undefined, undefined] : (c.split('/m/') as [string, string | undefined]);
      // A therapist's inbox and conversations: side by side on a wide screen, one at a time below (views/panes.tsx).
      if (profile.value?.role === 'therapist' && (conversationId !== undefined || hash === '' || hash === '#/')) return <Panes selected={conversationId} focus={focus} />;
      if (conversationId !== undefined) return <ConversationView id={conversationId} focus={focus} />;
      const v = param(hash, '#/verify/');
      if (v !== undefined) return <Verify id={v} />;
      if (hash === '#/settings') return <Settings />;
      if (hash === '#/search') return <SearchView />;
      if (hash === '#/security-log') return <SecurityLog />;
      const consent = param(hash, '#/consent/');
      if (consent !== undefined) return <ConsentHistory id={consent} />;
      if (hash === '#/help') return <GetHelp />;
      if (profile.value?.role === 'therapist') {
        if (hash === '#/invite') return <InviteClient />;
        const again = param(hash, '#/invite/');
        return again !== undefined ? <InviteClient key={again} replaces={again} /> : <Home />;
      }
      // A client has one conversation: their therapist.
      const only = conversations.value[0];
      return only ? <ConversationView id={only.id} /> : <main class="screen">No conversation yet.</main>;
    }
  }
}
