/**
 * The security log screen: what this device recorded (unlocks, failed unlocks, locks, safety
 * number changes, consent, exports...), newest first; checking the log here; and exporting it
 * as a signed JSON file with a readable report. Format and checks: PROTOCOL.md §15.
 * @module
 */
import { useEffect, useState } from 'preact/hooks';
import { verifyAuditExport, type AuditEntry } from '../../shared/audit.ts';
import type { LogCheck } from '../audit/log.ts';
import { auditReport, detailText, EVENT_TEXT } from '../audit/report.ts';
import { session } from '../state/session.ts';
import { TopBar } from './topbar.tsx';

/** Entries shown at once; "Show older" adds as many again. */
const PAGE = 100;

function save(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export function SecurityLog() {
  const s = session();
  const [entries, setEntries] = useState<AuditEntry[] | undefined>(undefined);
  const [shown, setShown] = useState(PAGE);
  const [check, setCheck] = useState<LogCheck | 'checking' | undefined>(undefined);
  const [exported, setExported] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  const load = async () => setEntries(await session()?.audit.entries());
  useEffect(() => {
    void load();
  }, []);
  if (!s) return null;

  const runCheck = async () => {
    setCheck('checking');
    setCheck(await s.audit.check());
  };
  const runExport = async () => {
    setError(undefined);
    try {
      const file = await s.audit.export();
      const json = JSON.stringify(file, null, 2);
      const verdict = await verifyAuditExport(JSON.parse(json));
      const stamp = day(file.checkpoint.at);
      save(`confidant-security-log-${stamp}.json`, 'application/json', json);
      save(`confidant-security-log-${stamp}-report.txt`, 'text/plain', auditReport(file, verdict));
      setExported(verdict.ok ? `Saved ${file.entries.length} entries and a readable report. The file verified before saving.` : `Saved, but the log did not verify: ${verdict.reason}.`);
      await load();
    } catch (e) {
      setError(`The log could not be exported (${(e as Error).message}).`);
    }
  };

  const newestFirst = entries ? [...entries].reverse() : [];
  return (
    <div class="app-frame">
      <TopBar title="Security log" back="#/settings" />
      <main class="screen" id="main">
        <p>
          This device keeps a record of security events: unlocking, wrong passphrases, locking, safety number changes, consent and exports. Each entry is signed with this
          device’s key and linked to the one before, so a changed or removed entry shows. It never holds message text or names.
        </p>
        <div class="actions-row">
          <button type="button" onClick={() => void runCheck()} disabled={check === 'checking'}>
            Check the log
          </button>
          <button type="button" class="primary" onClick={() => void runExport()}>
            Export the log
          </button>
        </div>
        <div role="status" aria-live="polite">
          {check === 'checking' && <p>Checking…</p>}
          {check !== undefined && check !== 'checking' && (
            <p class={check.ok ? 'notice' : 'error'}>
              {check.ok ? `The log checks out: all ${check.count} entries are signed by this device and in order.` : `The log does not check out${check.entry !== undefined ? ` at entry ${check.entry}` : ''}: ${check.reason}.`}
            </p>
          )}
          {exported && <p class="notice">{exported}</p>}
        </div>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {entries === undefined ? (
          <p aria-busy="true">Loading…</p>
        ) : (
          <>
            <h2 id="entries-title">
              {entries.length} {entries.length === 1 ? 'entry' : 'entries'}
            </h2>
            <ol class="audit-entries" aria-labelledby="entries-title" reversed>
              {newestFirst.slice(0, shown).map((e) => (
                <li key={e.seq} value={e.seq}>
                  <span class="audit-event">{EVENT_TEXT[e.type]}</span>
                  <time class="muted" dateTime={new Date(e.at).toISOString()}>
                    {new Date(e.at).toLocaleString()}
                  </time>
                  {Object.keys(e.details).length > 0 && (
                    <span class="muted audit-details">
                      {Object.entries(e.details)
                        .map(([k, v]) => `${k}: ${detailText(k, v, (ms) => new Date(ms).toLocaleString())}`)
                        .join(', ')}
                    </span>
                  )}
                </li>
              ))}
            </ol>
            {newestFirst.length > shown && (
              <button type="button" class="load-more" onClick={() => setShown(shown + PAGE)}>
                Show older entries
              </button>
            )}
          </>
        )}
      </main>
    </div>
  );
}
