/**
 * TEST ONLY. Computes the frozen known answer of a short invite (PROTOCOL.md §14, link version
 * 2) from fixed inputs: the therapist's identity from a fixed root secret, fixed mailbox id,
 * capability and invite secret, fixed texts, and a fixed link secret. `short-invite.test.ts`
 * recomputes it and requires `short-invite-v2.json` to be equal, and re-derives it with noble's
 * `hkdf` and `chacha20poly1305` directly; `UPDATE_VECTORS=1 npx vitest run shared/short-invite.test.ts`
 * rewrites the file (only with a new link version: changing it is a wire-format change).
 */
import { toHex } from '../encoding.ts';
import { deriveIdentity, encodePublicIdentity } from '../keys.ts';
import { inviteJsonBytes, type Invite } from '../invite.ts';
import { nobleProvider } from '../provider.ts';
import { sealInvite, shortInviteKeys } from '../short-invite.ts';

const fill = (byte: number, n: number) => new Uint8Array(n).fill(byte);

/** The fixed invite the vector seals. */
export async function vectorInvite(): Promise<Invite> {
  const therapist = await deriveIdentity(fill(0x7e, 32), nobleProvider);
  return {
    therapist: therapist.publicIdentity,
    mailboxId: fill(0x0b, 16),
    capability: fill(0xca, 32),
    secret: fill(0x5e, 32),
    practiceName: 'Harbour Counselling',
    consentText: 'Messages are for practical matters between sessions. I can withdraw this consent at any time.',
    emergencyNotice: 'Not monitored around the clock. In an emergency call your local emergency number.',
    expiresAt: 1_800_000_000_000,
  };
}

export async function computeShortInviteVectors(): Promise<Record<string, unknown>> {
  const invite = await vectorInvite();
  const linkSecret = new Uint8Array(32).map((_, i) => i);
  const keys = shortInviteKeys(linkSecret);
  const sealed = sealInvite(invite, linkSecret);
  return {
    description: 'Confidant short invite (link version 2), frozen; see shared/vectors/short-invite.ts and docs/PROTOCOL.md §14',
    label: 'Confidant invite v2',
    therapistIdentity: toHex(encodePublicIdentity(invite.therapist)),
    inviteJson: new TextDecoder().decode(inviteJsonBytes(invite)),
    linkSecret: toHex(linkSecret),
    encoded: sealed.encoded,
    id: toHex(keys.id),
    key: toHex(keys.key),
    nonce: toHex(keys.nonce),
    body: toHex(sealed.body),
  };
}
