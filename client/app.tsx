/**
 * The app's top level: the screen follows from the phase (client/state/signals.ts) and the URL
 * fragment. Locked shows only the unlock screen, whatever the route says.
 * @module
 */
import { useEffect } from 'preact/hooks';
import { boot } from './state/lock.ts';
import { conversations, phase, profile, route } from './state/signals.ts';
import { ConversationView } from './views/conversation.tsx';
import { Home } from './views/home.tsx';
import { InviteClient } from './views/invite.tsx';
import { Join } from './views/join.tsx';
import { SearchView } from './views/search.tsx';
import { Settings } from './views/settings.tsx';
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
      return <Welcome />;
    case 'locked':
      return <Unlock />;
    case 'ready': {
      const c = param(hash, '#/c/');
      if (c !== undefined) return <ConversationView id={c.split('/m/')[0]!} focus={c.split('/m/')[1]} />;
      const v = param(hash, '#/verify/');
      if (v !== undefined) return <Verify id={v} />;
      if (hash === '#/settings') return <Settings />;
      if (hash === '#/search') return <SearchView />;
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
