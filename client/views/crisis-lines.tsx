/**
 * The crisis lines a client can reach in one tap, wherever they are in the app: the list the
 * therapist signed (client/messages/practice.ts), numbers as `tel:` links and addresses as
 * links that open outside the app; until one arrives, the emergency notice from the invite;
 * when the therapist lists none, a text that assumes no country's number (shared/practice.ts).
 *
 * Also the composer's two gentle panels built on it: the notice that the therapist is not
 * working now (computed on this device, in its own time zone) and the "before you send" panel
 * shown for an urgent message. Neither blocks anything or sends anything.
 *
 * Everything the therapist wrote is rendered as text, bidi-isolated (bidi.tsx).
 * @module
 */
import { useEffect, useState } from 'preact/hooks';
import { DEFAULT_CRISIS_TEXT, isHttpsContact, telHref, type SignedPractice } from '../../shared/practice.ts';
import type { Conversation } from '../data/records.ts';
import { showBidiControls } from './bidi.tsx';
import { deviceTimeZone, unavailableNotice } from './practice-format.ts';

/** What a client's device knows about reaching help: the verified practice information, or the invite's notice. */
export interface CrisisSource {
  readonly practice?: SignedPractice | undefined;
  /** The invite's emergency notice, shown until practice information arrives. */
  readonly fallback?: string | undefined;
}

export const crisisSourceOf = (c: Conversation | undefined): CrisisSource => ({ practice: c?.practice, fallback: c?.emergencyNotice });

/** The list of crisis lines (or the text that stands in for them). */
export function CrisisLines({ source, compact }: { source: CrisisSource; compact?: boolean }) {
  const lines = source.practice?.info.crisisLines;
  if (!lines || lines.length === 0) {
    return <p dir="auto">{source.practice ? DEFAULT_CRISIS_TEXT : (source.fallback ?? DEFAULT_CRISIS_TEXT)}</p>;
  }
  return (
    <>
      <ul class={compact ? 'crisis-lines compact' : 'crisis-lines'}>
        {lines.map((line, i) => {
          const web = isHttpsContact(line.contact);
          return (
            <li key={i}>
              <a class="crisis-line" href={web ? line.contact : telHref(line.contact)} {...(web ? { target: '_blank', rel: 'noopener noreferrer' } : {})}>
                <bdi class="crisis-label" dir="auto">
                  {showBidiControls(line.label)}
                </bdi>
                <bdi class="crisis-contact" dir="ltr">
                  {web ? showBidiControls(line.contact) : `Call ${line.contact}`}
                </bdi>
              </a>
              {!compact && line.note && (
                <p class="muted" dir="auto">
                  {line.note}
                </p>
              )}
            </li>
          );
        })}
      </ul>
      {!compact && <p class="muted">If your life or someone else's is in danger, call your local emergency number.</p>}
    </>
  );
}

/** The time now, again every minute, so a notice about office hours changes when they do. */
function useMinute(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(t);
  }, []);
  return now;
}

/**
 * Before the client writes: the therapist is outside office hours or away (on this device's
 * clock and zone), and where to turn if they are in danger now. Nothing when they are working
 * or have stated no hours.
 */
export function AfterHoursNotice({ source, withLines = true }: { source: CrisisSource; withLines?: boolean }) {
  const now = useMinute();
  const hours = source.practice?.info.officeHours;
  const notice = hours && unavailableNotice(hours, now, deviceTimeZone());
  if (!notice) return null;
  const expect = source.practice?.info.responseTime;
  return (
    <section class="notice after-hours" aria-labelledby="after-hours-title">
      <p id="after-hours-title">
        <strong>{notice}</strong>
        {expect ? <> Replies: {expect}.</> : null}
      </p>
      {withLines && (
        <>
          <p>If you are in danger now:</p>
          <CrisisLines source={source} compact />
        </>
      )}
    </section>
  );
}

/** Shown first when a message is marked urgent (or its words sound like a crisis): gently, never in the way. */
export function CrisisPanel({ source, reason }: { source: CrisisSource; reason: string }) {
  const now = useMinute();
  const hours = source.practice?.info.officeHours;
  const notice = hours && unavailableNotice(hours, now, deviceTimeZone());
  return (
    <section class="notice crisis-panel" aria-labelledby="crisis-panel-title" role="status">
      <h2 id="crisis-panel-title" class="crisis-panel-title">
        {reason}
      </h2>
      <p>{notice ?? 'Your therapist may not see this straight away.'} If you are in danger now, you can reach someone right away:</p>
      <CrisisLines source={source} />
      <p class="muted">You can still send your message.</p>
    </section>
  );
}
