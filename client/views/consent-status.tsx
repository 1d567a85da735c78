/**
 * A client's consent as their therapist sees it (client/messages/consent.ts keeps it on the
 * conversation): a small marker on the inbox row, and a line under the conversation's top bar
 * with the version accepted and when, or the withdrawal, and the way to the history.
 * @module
 */
import type { Conversation } from '../data/records.ts';
import { navigate, profile } from '../state/signals.ts';

const day = (ms: number): string => new Date(ms).toLocaleDateString([], { day: 'numeric', month: 'short', year: 'numeric' });

type Status =
  | { kind: 'withdrawn'; at: number; version: number }
  | { kind: 'accepted'; at: number | undefined; version: number; current: number }
  | { kind: 'none' };

function statusOf(c: Conversation, current: number): Status {
  if (c.consentWithdrawnAt !== undefined) return { kind: 'withdrawn', at: c.consentWithdrawnAt, version: c.consentVersion ?? 1 };
  // Accepted before versions existed: the invite's text, version 1.
  if (c.consentVersion !== undefined || c.consentDigest !== undefined) return { kind: 'accepted', at: c.consentAt, version: c.consentVersion ?? 1, current };
  return { kind: 'none' };
}

/** In plain words, for the marker's label and the conversation's line. */
function describe(s: Status): string {
  switch (s.kind) {
    case 'withdrawn':
      return `Consent withdrawn on ${day(s.at)}`;
    case 'accepted':
      return `Consent version ${s.version} accepted${s.at ? ` on ${day(s.at)}` : ''}${s.version < s.current ? `; version ${s.current} not yet accepted` : ''}`;
    case 'none':
      return 'No consent recorded yet';
  }
}

const currentVersion = (): number => profile.value?.consentVersion ?? 1;

/** The marker on a conversation's inbox row: short on screen, in full for a screen reader. */
export function ConsentMarker({ conversation }: { conversation: Conversation }) {
  const s = statusOf(conversation, currentVersion());
  if (s.kind === 'none') return null;
  const short = s.kind === 'withdrawn' ? 'Consent withdrawn' : `Consent v${s.version}${s.at ? ` · ${day(s.at)}` : ''}`;
  const tone = s.kind === 'withdrawn' ? ' withdrawn' : s.version < s.current ? ' outdated' : '';
  return (
    <span class={`consent-marker${tone}`}>
      <span aria-hidden="true">{short}</span>
      <span class="visually-hidden">{describe(s)}</span>
    </span>
  );
}

/** The line under a therapist's conversation top bar. */
export function ConsentLine({ conversation }: { conversation: Conversation }) {
  const s = statusOf(conversation, currentVersion());
  const history = (
    <button type="button" class="link" onClick={() => navigate(`#/consent/${encodeURIComponent(conversation.id)}`)}>
      Consent history
    </button>
  );
  if (s.kind === 'withdrawn') {
    return (
      <div class="banner identity-changed consent-line" role="status">
        <p>
          <strong>
            <bdi dir="auto">{conversation.label}</bdi> withdrew their consent to messaging on {day(s.at)}.
          </strong>{' '}
          They can still read this conversation but cannot write until they accept again. {history}
        </p>
      </div>
    );
  }
  return (
    <div class="banner consent-line" role="status">
      <span>{describe(s)}.</span>
      {history}
    </div>
  );
}
