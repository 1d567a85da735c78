/**
 * The two ways an account comes to a device, as functions of what they need: set up a practice
 * (a therapist with the operator's code) and join from an invite (a client). The app calls them
 * with the real relay, the device's IndexedDB vault and the clock (client/state/account.ts); the
 * tests call the same functions with the relay in process and a cheap KDF
 * (test-support/devices.ts), so what the tests exercise is the product's flow, not a copy.
 *
 * Neither touches the UI: no navigation, no session, no signals. Each returns the vault it
 * created (locked state unchanged: unlocked, protocol store closed); the caller opens the
 * session. Failures are typed: OnboardingError (with its code: `bad_code`, `malformed_code`,
 * `invite_refused`), OfflineError / RelayApiError from the relay, VaultError from the vault.
 * The individual steps live in onboarding.ts; this file owns their order.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toBase64url } from '../../shared/encoding.ts';
import type { Invite } from '../../shared/invite.ts';
import { deriveIdentity, encodePublicIdentity, identityId } from '../../shared/keys.ts';
import { verifyBundle } from '../../shared/prekeys.ts';
import { randomBytes } from '../../shared/provider.ts';
import { startSession } from '../../shared/session.ts';
import { OfflineError, type RelayApi } from '../api/relay.ts';
import { consentRecordOp, consentVersionOf } from '../data/consent.ts';
import { Records } from '../data/records.ts';
import { buildHello } from '../messages/hello.ts';
import { Outbox } from '../outbox/outbox.ts';
import { VaultProtocolStore } from '../vault/protocol-store.ts';
import type { Vault } from '../vault/vault.ts';
import { consentStatement } from './consent.ts';
import { conversationFromInvite, createMailboxOnce, keepProvisioned, newProfile, registerClient, registerTherapist } from './onboarding.ts';

/** What a flow needs from the outside world. */
export interface FlowDeps {
  readonly api: RelayApi;
  /** Creates this device's vault under `passphrase` (the app: its IndexedDB database and the default KDF). */
  readonly createVault: (passphrase: string, onProgress?: (fraction: number) => void) => Promise<Vault>;
  readonly now: () => number;
}

/** The person's part of a flow: the secret behind their recovery phrase and their passphrase. */
export interface Secrets {
  readonly rootSecret: Uint8Array;
  readonly passphrase: string;
  readonly onProgress?: (fraction: number) => void;
}

/** Provisioning that finds no network is finished at the next unlock (keepProvisioned). */
const provisionedOrLater = (p: Promise<unknown>): Promise<unknown> =>
  p.catch((e: unknown) => {
    if (!(e instanceof OfflineError)) throw e;
  });

/**
 * A therapist's first run: the relay accepts the identity with the operator's code (first, so a
 * refused code leaves the form as it was and nothing written), then the vault, the profile and
 * the keys (mailbox, signed, KEM and one-time prekeys; retried at every unlock if offline now).
 */
export async function setUpPractice(deps: FlowDeps, input: Secrets & { code: string; practiceName: string }): Promise<{ vault: Vault }> {
  const { api } = deps;
  const identity = await deriveIdentity(input.rootSecret);
  await registerTherapist(api, identity, input.code);
  const profile = newProfile('therapist', input.practiceName.trim(), deps.now());
  const vault = await deps.createVault(input.passphrase, input.onProgress);
  const store = await VaultProtocolStore.create(vault, { rootSecret: input.rootSecret });
  const records = new Records(vault);
  await records.saveProfile(profile);
  await provisionedOrLater(keepProvisioned(api, identity, store, records, profile));
  store.close();
  return { vault };
}

/**
 * A client's first run from an invite. Every step that needs the relay and can be refused or
 * fail (registration, our mailbox and its capability for the therapist, the therapist's bundle,
 * checked against the identity the invite pinned) runs BEFORE the vault is created: a failure
 * leaves the person on the same screen, able to retry, instead of with a vault and no
 * conversation. Each of those steps is safe to repeat. Then the vault, the session, hello and
 * the signed consent (queued in the outbox, so they go out whenever the network allows), and the
 * prekey upload (retried at every unlock if it fails here). Returns the vault and the
 * conversation with the therapist.
 */
export async function joinFromInvite(deps: FlowDeps, input: Secrets & { invite: Invite }): Promise<{ vault: Vault; conversationId: string }> {
  const { api } = deps;
  const { invite } = input;
  const identity = await deriveIdentity(input.rootSecret);
  const profile = newProfile('client', invite.practiceName, deps.now());
  await registerClient(api, identity, invite);
  await createMailboxOnce(api, identity, profile.mailboxId);
  const issued = randomBytes(32);
  await api.addCapability(identity, profile.mailboxId, sha256(issued));
  const bundle = await api.fetchBundle(identity, invite.therapist.signingKey);
  await verifyBundle(bundle, invite.therapist);

  const vault = await deps.createVault(input.passphrase, input.onProgress);
  const store = await VaultProtocolStore.create(vault, { rootSecret: input.rootSecret });
  const records = new Records(vault);
  const conversationId = identityId(invite.therapist);
  await store.transact((session) => startSession(session, conversationId, bundle, { expectedIdentity: invite.therapist }));
  const acceptedAt = deps.now();
  const consent = await consentStatement(identity, encodePublicIdentity(invite.therapist), 'accept', consentVersionOf(invite.consentVersion ?? 1, invite.consentText, acceptedAt), acceptedAt);
  const conversation = conversationFromInvite(invite, issued, acceptedAt, consent.payload.documentDigest);
  await records.saveProfile(profile);
  await records.putJSONMany([records.conversationOp(conversation), consentRecordOp(conversationId, consent.record)]);

  const outbox = new Outbox({ records, store, api });
  const now = deps.now();
  await outbox.enqueue(conversation, buildHello({ mailboxId: profile.mailboxId, capability: issued, inviteHash: conversation.inviteHash! }, now));
  await outbox.enqueue(conversation, consent.payload);
  await provisionedOrLater(keepProvisioned(api, identity, store, records, profile));
  await outbox.flush().catch(() => {});
  store.close();
  return { vault, conversationId };
}
