/**
 * The app's side of setting up and joining: the flows (client/account/flows.ts) with this
 * device's dependencies (the relay at this origin, the vault in IndexedDB, the clock), then the
 * screen to show and the session opened. Reading an invite from the route says what is wrong in
 * plain words (an OnboardingError the join screen shows as it is).
 * @module
 */
import type { Invite } from '../../shared/invite.ts';
import { joinFromInvite as joinFlow, setUpPractice, type FlowDeps, type Secrets } from '../account/flows.ts';
import { checkInvite, openInviteLink } from '../account/onboarding.ts';
import { RelayApi } from '../api/relay.ts';
import { restoreFromBackup } from '../backup/restore.ts';
import { createVault } from '../vault/vault.ts';
import { begin, VAULT_DB } from './lock.ts';
import { navigate } from './signals.ts';

const deps = (): FlowDeps => ({
  api: new RelayApi(),
  createVault: (passphrase, onProgress) => createVault(passphrase, { dbName: VAULT_DB, ...(onProgress ? { onProgress } : {}) }),
  now: () => Date.now(),
});

/** A therapist's first run (flows.ts `setUpPractice`), then their home screen. */
export async function setUpTherapist(input: Secrets & { code: string; practiceName: string }): Promise<void> {
  const { vault } = await setUpPractice(deps(), input);
  navigate('#/');
  await begin(vault);
}

/** A client's first run (flows.ts `joinFromInvite`), then their conversation with the therapist. */
export async function joinFromInvite(input: Secrets & { invite: Invite }): Promise<void> {
  const { vault, conversationId } = await joinFlow(deps(), input);
  navigate(`#/c/${encodeURIComponent(conversationId)}`);
  await begin(vault);
}

/**
 * A new device from a backup file and the recovery phrase (client/backup/restore.ts), then the
 * home screen; the session finishes the restore (new sessions, fresh prekeys) once it syncs.
 */
export async function restoreDevice(input: { file: File; phrase: string; passphrase: string; onProgress?: (fraction: number) => void }): Promise<void> {
  const vault = await restoreFromBackup({
    file: input.file.stream(),
    phrase: input.phrase,
    passphrase: input.passphrase,
    dbName: VAULT_DB,
    ...(input.onProgress ? { onProgress: (bytes: number) => input.onProgress!(input.file.size > 0 ? bytes / input.file.size : 0) } : {}),
  });
  navigate('#/');
  await begin(vault);
}

/**
 * The invite in a `#/join/<invite>` route, its body fetched from the relay for a short link
 * (onboarding's `openInviteLink`): OnboardingError `invite_damaged`, `invite_refused` or
 * `invite_expired`, or OfflineError (the join screen offers to try again).
 */
export async function inviteFromRoute(hash: string): Promise<Invite> {
  let text: string;
  try {
    text = decodeURIComponent(hash.replace(/^#\/join\//, ''));
  } catch {
    text = ''; // a broken %-escape: not an invite, said as a damaged link
  }
  return openInviteLink(new RelayApi(), text, Date.now());
}

/**
 * Asks the relay, as the join screen opens, whether the invite can still be used (onboarding's
 * `checkInvite`): its expiry, or OnboardingError `invite_refused`, or OfflineError.
 */
export const checkJoinInvite = (invite: Invite): Promise<number> => checkInvite(new RelayApi(), invite);
