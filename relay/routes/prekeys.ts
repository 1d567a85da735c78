/**
 * Prekeys of the signed-in account (Signal PQXDH §2.2; PROTOCOL.md §4). Signed and KEM prekeys
 * must carry a valid signature by the account's identity key under shared's labels
 * (`verifySignedPreKey`), else 400 and nothing stored. One-time prekeys are unsigned; ids
 * already held are ignored.
 *
 *   PUT  /v1/prekeys/signed    { id, publicKey, signature }  -> 200 { id }
 *   PUT  /v1/prekeys/kem       { id, publicKey, signature }  -> 200 { id }
 *   POST /v1/prekeys/one-time  { preKeys: [{ id, publicKey }] (1..100) } -> 200 { count }
 *   DELETE /v1/prekeys/one-time               -> 200 { cleared }  (a device restored from a backup)
 *   GET  /v1/prekeys/count     -> 200 { oneTime }
 * @module
 */
import { Hono } from 'hono';
import { fromBase64url } from '../../shared/encoding.ts';
import { verifySignedPreKey } from '../../shared/prekeys.ts';
import {
  KemPreKeyJson,
  OneTimePreKeysStoredJson,
  OneTimePreKeysUploadJson,
  PreKeyCountJson,
  PreKeysClearedJson,
  PreKeyStoredJson,
  SignedPreKeyJson,
} from '../../shared/schemas.ts';
import type { AppDeps } from '../deps.ts';
import type { RelayEnv } from '../context.ts';
import { RelayError } from '../errors.ts';
import { BODY_LIMITS } from '../limits.ts';
import { requireAuth } from '../middleware/auth.ts';
import { bodyLimit } from '../middleware/body-limit.ts';
import { jsonBody } from '../middleware/json-body.ts';
import type { SignedPreKeyRow } from '../storage/types.ts';
import { reply } from '../reply.ts';

async function verifiedRow(
  signingKey: Uint8Array,
  kind: 'signed' | 'kem',
  json: { id: number; publicKey: string; signature: string },
): Promise<SignedPreKeyRow> {
  const row = { id: json.id, publicKey: fromBase64url(json.publicKey), signature: fromBase64url(json.signature) };
  if (!(await verifySignedPreKey(signingKey, kind, row))) {
    throw new RelayError('bad_request', `${kind === 'signed' ? 'Signed' : 'KEM'} prekey signature does not verify`);
  }
  return row;
}

export function preKeyRoutes(deps: AppDeps): Hono<RelayEnv> {
  const now = deps.now ?? Date.now;
  const auth = requireAuth(deps);
  return new Hono<RelayEnv>()
    .put('/v1/prekeys/signed', bodyLimit(BODY_LIMITS.small), jsonBody(SignedPreKeyJson), auth, async (c) => {
      const key = c.get('account').signingKey;
      const row = await verifiedRow(key, 'signed', c.get('json'));
      await deps.store.setSignedPreKey(key, row, now());
      return reply(c, PreKeyStoredJson, { id: row.id });
    })
    .put('/v1/prekeys/kem', bodyLimit(BODY_LIMITS.small), jsonBody(KemPreKeyJson), auth, async (c) => {
      const key = c.get('account').signingKey;
      const row = await verifiedRow(key, 'kem', c.get('json'));
      await deps.store.setKemPreKey(key, row, now());
      return reply(c, PreKeyStoredJson, { id: row.id });
    })
    .post('/v1/prekeys/one-time', bodyLimit(BODY_LIMITS.preKeys), jsonBody(OneTimePreKeysUploadJson), auth, async (c) => {
      const rows = c.get('json').preKeys.map((k) => ({ id: k.id, publicKey: fromBase64url(k.publicKey) }));
      const count = await deps.store.addOneTimePreKeys(c.get('account').signingKey, rows);
      return reply(c, OneTimePreKeysStoredJson, { count });
    })
    .delete('/v1/prekeys/one-time', bodyLimit(BODY_LIMITS.none), auth, async (c) =>
      reply(c, PreKeysClearedJson, { cleared: await deps.store.clearOneTimePreKeys(c.get('account').signingKey) }),
    )
    .get('/v1/prekeys/count', bodyLimit(BODY_LIMITS.none), auth, async (c) =>
      reply(c, PreKeyCountJson, { oneTime: await deps.store.countOneTimePreKeys(c.get('account').signingKey) }),
    );
}
