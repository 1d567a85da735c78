/**
 * Settings, "Notifications": opt in to content-free notifications on this device, with the
 * reason in plain words, and opt out. The work is in client/push/notifications.ts; this only
 * shows the state and dispatches.
 * @module
 */
import { useEffect, useState } from 'preact/hooks';
import { disablePush, enablePush, pushState, PushSetupError, type PushState } from '../push/notifications.ts';
import { session } from '../state/session.ts';
import { ErrorAlert } from './error-alert.tsx';

const STATE_TEXT: Record<PushState, string> = {
  unsupported: 'Notifications are not available in this browser. Messages still arrive whenever the app is open.',
  blocked: 'Notifications are blocked for this site. To turn them on, allow them in your browser\'s site settings.',
  off: 'Notifications are off on this device.',
  on: 'Notifications are on for this device.',
};

export function NotificationSettings() {
  const [state, setState] = useState<PushState | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => {
    void pushState().then(setState, () => setState('unsupported'));
  }, []);
  const s = session();
  if (!s) return null;

  const change = async (on: boolean) => {
    setBusy(true);
    setError('');
    try {
      await (on ? enablePush(s.api, s.identity) : disablePush(s.api, s.identity));
    } catch (e) {
      setError(e instanceof PushSetupError ? e.message : 'Something went wrong. Try again.');
    } finally {
      setState(await pushState().catch((): PushState => 'unsupported'));
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="notifications-title">
      <h2 id="notifications-title">Notifications</h2>
      <p>Your phone or computer will show "New message" when someone writes. It never shows who or what.</p>
      <p class="hint">
        Open Confidant to read the message. The notice travels through your browser's notification service (from Google, Mozilla or
        Apple, depending on the browser), which learns only that something arrived, never what it says or who sent it.
      </p>
      {state !== undefined && (
        <p role="status" id="notifications-state">
          {busy ? 'Asking your browser and its notification service. This can take a few seconds.' : STATE_TEXT[state]}
        </p>
      )}
      <ErrorAlert message={error} id="notifications-error" />
      {(state === 'off' || state === 'on') && (
        <button type="button" class={state === 'off' ? 'primary' : ''} disabled={busy} aria-describedby="notifications-state" onClick={() => void change(state === 'off')}>
          {state === 'off' ? 'Turn on notifications' : 'Turn off notifications'}
        </button>
      )}
    </section>
  );
}
