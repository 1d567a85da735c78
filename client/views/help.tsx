/**
 * "Get help now" (route `#/help`), one tap from every screen of a client's app (topbar.tsx):
 * the crisis lines, the therapist's office hours in the client's own time zone, whether they
 * are working now, and when to expect a reply. Everything comes from the practice information
 * the therapist signed (or, until it arrives, the invite's emergency notice).
 * @module
 */
import { conversations, profile } from '../state/signals.ts';
import { AfterHoursNotice, CrisisLines, crisisSourceOf } from './crisis-lines.tsx';
import { deviceTimeZone, formatDate, hoursInZone } from './practice-format.ts';
import { TopBar } from './topbar.tsx';

export function GetHelp() {
  // A client has one conversation: their therapist's.
  const conversation = profile.value?.role === 'client' ? conversations.value[0] : undefined;
  const source = crisisSourceOf(conversation);
  const info = source.practice?.info;
  const zone = deviceTimeZone();
  const rows = info ? hoursInZone(info.officeHours, Date.now(), zone) : [];
  const away = info?.officeHours;
  return (
    <div class="app-frame">
      <TopBar title="Get help now" back="#/" />
      <main class="screen" id="main">
        <section class="card crisis-card" aria-labelledby="crisis-title">
          <h2 id="crisis-title">If you are in danger now</h2>
          <p>Do not wait for a reply to a message. Call one of these:</p>
          <CrisisLines source={source} />
        </section>
        {info && <AfterHoursNotice source={source} withLines={false} />}
        <section class="card" aria-labelledby="hours-title">
          <h2 id="hours-title">When your therapist replies</h2>
          {info?.therapistName && (
            <p>
              Your therapist: <bdi dir="auto">{info.therapistName}</bdi>, <bdi dir="auto">{info.practiceName}</bdi>
            </p>
          )}
          {info?.responseTime ? (
            <p>
              When to expect a reply: <bdi dir="auto">{info.responseTime}</bdi>
            </p>
          ) : (
            <p>Your therapist reads messages during their working hours, not around the clock.</p>
          )}
          {rows.length > 0 && (
            <>
              <h3>Office hours, in your time ({zone})</h3>
              <dl class="hours">
                {rows.map((r) => (
                  <div key={r.day + r.span}>
                    <dt>{r.day}</dt>
                    <dd>{r.span}</dd>
                  </div>
                ))}
              </dl>
            </>
          )}
          {away && (away.awayFrom || away.awayUntil) && (
            <p>
              Away {away.awayFrom ? `from ${formatDate(away.awayFrom)} ` : ''}
              {away.awayUntil ? `until ${formatDate(away.awayUntil)} (last day away)` : 'until further notice'}.
            </p>
          )}
        </section>
      </main>
    </div>
  );
}
