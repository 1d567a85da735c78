/**
 * A conversation's consent history (client/data/consent.ts), for either person: each
 * acceptance and withdrawal with its version, date and text, and whether the client's signature
 * over it checks, computed here each time the screen opens (shared/consent.ts), never taken from
 * storage. Reached by a client from Settings, by a therapist from the conversation.
 * @module
 */
import { useEffect, useState } from 'preact/hooks';
import { consentHistory, recordChecks, type ConsentRecord } from '../data/consent.ts';
import { session } from '../state/session.ts';
import { conversations, messagesVersion, profile } from '../state/signals.ts';
import { TopBar } from './topbar.tsx';

type Checked = { key: string; record: ConsentRecord; checks: boolean };

const when = (ms: number): string => new Date(ms).toLocaleString([], { dateStyle: 'long', timeStyle: 'short' });

export function ConsentHistory({ id }: { id: string }) {
  const conversation = conversations.value.find((c) => c.id === id);
  const [rows, setRows] = useState<Checked[] | undefined>();
  const version = messagesVersion.value;
  useEffect(() => {
    const s = session();
    if (!s) return;
    let live = true;
    void consentHistory(s.records, id).then(async (list) => {
      const checked = await Promise.all(list.map(async (record, i) => ({ key: `${record.at}:${record.action}:${i}`, record, checks: await recordChecks(record) })));
      if (live) setRows(checked.reverse()); // newest first
    });
    return () => {
      live = false;
    };
  }, [id, version]);
  const isTherapist = profile.value?.role === 'therapist';
  const back = isTherapist ? `#/c/${encodeURIComponent(id)}` : '#/settings';
  const who = isTherapist ? (conversation?.label ?? 'This client') : 'You';
  return (
    <div class="app-frame">
      <TopBar title="Consent history" back={back} />
      <main class="screen" id="main" aria-labelledby="consent-history-title">
        <h2 id="consent-history-title">
          Consent {isTherapist && conversation ? <>of <bdi dir="auto">{conversation.label}</bdi></> : 'you gave'}
        </h2>
        <p class="muted">
          Every time consent was given or withdrawn, signed with {isTherapist ? "the client's" : 'your'} own key. Both of you keep this list.
        </p>
        {rows === undefined ? (
          <p aria-busy="true">Checking signatures…</p>
        ) : rows.length === 0 ? (
          <p>No consent is recorded for this conversation.</p>
        ) : (
          <ol class="consent-history" aria-label="Consent records, newest first">
            {rows.map(({ key, record, checks }) => (
              <li key={key} class="card">
                <h3>
                  {record.action === 'accept' ? `${who} accepted version ${record.version}` : `${who} withdrew consent (version ${record.version})`}
                </h3>
                <p>{when(record.at)}</p>
                <p class={checks ? 'signature-ok' : 'error'}>
                  {checks ? 'Signature checked' : 'Signature does not check: this record was changed or damaged.'}
                </p>
                {record.text !== undefined && (
                  <details>
                    <summary>Text of version {record.version}</summary>
                    <div class="consent-text" dir="auto">
                      {record.text}
                    </div>
                  </details>
                )}
              </li>
            ))}
          </ol>
        )}
      </main>
    </div>
  );
}
