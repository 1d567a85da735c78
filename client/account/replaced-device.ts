/**
 * A person's device was replaced (they joined again from a re-invite, PROTOCOL.md §14) and the
 * therapist confirmed the new safety number: the new identity becomes the pinned one, and the
 * delivery capability the OLD device writes to our mailbox with is revoked at the relay
 * (`DELETE /v1/mailboxes/:id/capabilities/:hash`, docs/API.md). The old device's next send is
 * then refused with 403, which its outbox turns into "no longer connected"
 * (client/outbox/delivery.ts `markDisconnected`) instead of a message that says "Sent" forever.
 *
 * The capability to revoke is kept on the conversation (`retiredCapabilities`) until the relay
 * confirmed it, so a confirmation made offline is revoked at the next sync (`revokeRetired`).
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toBase64url } from '../../shared/encoding.ts';
import type { Identity } from '../../shared/keys.ts';
import { OfflineError, RelayApiError, type RelayApi } from '../api/relay.ts';
import type { Conversation, Profile, Records } from '../data/records.ts';

const same = (a: Uint8Array, b: Uint8Array): boolean => toBase64url(a) === toBase64url(b);

export interface ReplacedDeviceDeps {
  readonly records: Records;
  readonly api: RelayApi;
  readonly identity: Identity;
  readonly profile: Profile;
}

/**
 * The person confirmed `conversation`'s pending identity: pin it (unverified), swap in the
 * capability issued with the re-invite, and revoke the old one. Returns the saved conversation.
 */
export async function confirmNewIdentity(deps: ReplacedDeviceDeps, conversation: Conversation): Promise<Conversation | undefined> {
  const current = (await deps.records.conversation(conversation.id)) ?? conversation;
  if (!current.pendingIdentity || !current.pendingAddress) return undefined;
  const { pendingIdentity, pendingAddress, pendingIssuedCapability, verifiedAt: _verified, ...rest } = current;
  const old = rest.issuedCapability;
  const retire = pendingIssuedCapability && old && !same(old, pendingIssuedCapability) ? [old] : [];
  const next: Conversation = {
    ...rest,
    peer: pendingIdentity,
    address: pendingAddress,
    ...(pendingIssuedCapability ? { issuedCapability: pendingIssuedCapability } : {}),
    ...(retire.length > 0 || rest.retiredCapabilities ? { retiredCapabilities: [...(rest.retiredCapabilities ?? []), ...retire] } : {}),
  };
  await deps.records.saveConversation(next);
  await revokeRetired(deps).catch((e: unknown) => {
    if (!(e instanceof OfflineError)) throw e;
  });
  return (await deps.records.conversation(conversation.id)) ?? next;
}

/**
 * Revokes every retired capability at the relay. A revocation the relay confirmed (204), or one
 * it no longer knows (404: revoked already), is forgotten; no network or a 5xx leaves it for the
 * next sync (throws OfflineError / RelayApiError then).
 */
export async function revokeRetired(deps: ReplacedDeviceDeps): Promise<void> {
  for (const c of await deps.records.conversations()) {
    for (const capability of c.retiredCapabilities ?? []) {
      try {
        await deps.api.revokeCapability(deps.identity, deps.profile.mailboxId, sha256(capability));
      } catch (e) {
        if (!(e instanceof RelayApiError && e.status === 404)) throw e;
      }
      const latest = await deps.records.conversation(c.id);
      if (!latest) continue;
      const { retiredCapabilities = [], ...rest } = latest;
      const left = retiredCapabilities.filter((x) => !same(x, capability));
      await deps.records.saveConversation(left.length > 0 ? { ...rest, retiredCapabilities: left } : rest);
    }
  }
}
