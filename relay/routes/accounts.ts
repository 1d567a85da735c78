/**
 * Accounts by keys only (issue 4, ARCHITECTURE.md, boundary 8): a therapist registers with an
 * operator-minted code, a client with a therapist's invite. Both requests are signed by the
 * new identity's signing key; the code or invite is consumed in the same transaction that
 * creates the account. Unknown, used and expired codes get one answer (403), an existing
 * account 409 (and the code stays unused).
 *
 *   POST /v1/accounts/therapist  { identity, registrationCode }  -> 201 { kind: 'therapist' }
 *   POST /v1/accounts/client     { identity, invite }            -> 201 { kind: 'client' }
 * @module
 */
import { Hono } from 'hono';
import { equalBytes } from '../../shared/bytes.ts';
import { fromBase64url } from '../../shared/encoding.ts';
import { decodePublicIdentity, encodePublicIdentity, verifyPublicIdentity } from '../../shared/keys.ts';
import { AccountCreatedJson, ClientRegistrationJson, TherapistRegistrationJson } from '../../shared/schemas.ts';
import type { AppDeps } from '../deps.ts';
import type { RelayEnv } from '../context.ts';
import { RelayError } from '../errors.ts';
import { BODY_LIMITS } from '../limits.ts';
import { requireSignature } from '../middleware/auth.ts';
import { bodyLimit } from '../middleware/body-limit.ts';
import { jsonBody } from '../middleware/json-body.ts';
import { sha256 } from '../secret-hash.ts';
import type { Account, AccountKind } from '../storage/types.ts';
import { reply } from '../reply.ts';

/**
 * The account a registration creates: the identity must parse and its certificate verify
 * (400 otherwise), and the request must be signed by that identity's signing key (401).
 */
async function accountFromIdentity(identityB64: string, signer: Uint8Array, kind: AccountKind, now: number): Promise<Account> {
  let identity;
  try {
    identity = decodePublicIdentity(fromBase64url(identityB64));
    await verifyPublicIdentity(identity);
  } catch {
    throw new RelayError('bad_request', 'Identity does not parse or its certificate does not verify');
  }
  if (!equalBytes(identity.signingKey, signer)) {
    throw new RelayError('unauthorized', 'Request is not signed by the identity being registered');
  }
  return {
    signingKey: identity.signingKey,
    agreementKey: identity.agreementKey,
    identity: encodePublicIdentity(identity),
    kind,
    createdAt: now,
  };
}


export function accountRoutes(deps: AppDeps): Hono<RelayEnv> {
  const now = deps.now ?? Date.now;
  const signed = requireSignature(deps);
  return new Hono<RelayEnv>()
    .post('/v1/accounts/therapist', bodyLimit(BODY_LIMITS.small), jsonBody(TherapistRegistrationJson), signed, async (c) => {
      const { identity, registrationCode } = c.get('json');
      const t = now();
      const account = await accountFromIdentity(identity, c.get('signer'), 'therapist', t);
      const result = await deps.store.registerTherapist(account, sha256(fromBase64url(registrationCode)), t);
      if (result === 'exists') throw new RelayError('conflict', 'Account exists');
      if (result === 'code_invalid') throw new RelayError('forbidden', 'Registration code unknown, used or expired');
      return reply(c, AccountCreatedJson, { kind: 'therapist' }, 201);
    })
    .post('/v1/accounts/client', bodyLimit(BODY_LIMITS.small), jsonBody(ClientRegistrationJson), signed, async (c) => {
      const { identity, invite } = c.get('json');
      const t = now();
      const account = await accountFromIdentity(identity, c.get('signer'), 'client', t);
      const result = await deps.store.registerClient(account, sha256(fromBase64url(invite)), t);
      if (result === 'exists') throw new RelayError('conflict', 'Account exists');
      if (result === 'invite_invalid') throw new RelayError('forbidden', 'Invite unknown, used or expired');
      return reply(c, AccountCreatedJson, { kind: 'client' }, 201);
    });
}
