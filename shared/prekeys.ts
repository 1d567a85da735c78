/**
 * Prekeys and prekey bundles for asynchronous session setup (Signal PQXDH §2.2, X3DH §3.2;
 * PROTOCOL.md §4). A device publishes, signed by its identity signing key:
 * - a signed X25519 prekey (rotated periodically),
 * - a signed ML-KEM-768 prekey (last-resort; one-time KEM prekeys are a possible extension),
 * and unsigned one-time X25519 prekeys, each handed out at most once by the relay.
 * Signatures cover a label, the key id and the public key, so a signature for one kind of key
 * or id can never be presented for another.
 * Does not: store records or talk to the relay.
 * @module
 */
import {
  ED25519_SIGNATURE_LEN,
  LABEL,
  MLKEM768_PUBLIC_LEN,
  MLKEM768_SECRET_LEN,
  WIRE_VERSION,
  X25519_LEN,
} from './consts.ts';
import { abytes, au32, concat, Reader, u32be, utf8, Writer } from './_bytes.ts';
import { fail } from './errors.ts';
import {
  decodePublicIdentity,
  encodePublicIdentity,
  identitiesEqual,
  PUBLIC_IDENTITY_LEN,
  verifyPublicIdentity,
  type Identity,
  type PublicIdentity,
} from './keys.ts';
import { getProvider, type CryptoProvider, type KeyPair } from './provider.ts';

export interface SignedPreKeyRecord {
  readonly id: number;
  readonly keyPair: KeyPair;
  readonly signature: Uint8Array;
}
export interface KemPreKeyRecord {
  readonly id: number;
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
  readonly signature: Uint8Array;
}
export interface OneTimePreKeyRecord {
  readonly id: number;
  readonly keyPair: KeyPair;
}

/** What a peer needs to start a session with a device that may be offline. */
export interface PreKeyBundle {
  readonly identity: PublicIdentity;
  readonly signedPreKey: { readonly id: number; readonly publicKey: Uint8Array; readonly signature: Uint8Array };
  readonly kemPreKey: { readonly id: number; readonly publicKey: Uint8Array; readonly signature: Uint8Array };
  /** Absent when the relay has run out; the session is then set up without DH4. */
  readonly oneTimePreKey?: { readonly id: number; readonly publicKey: Uint8Array };
}

function signedMessage(label: string, id: number, publicKey: Uint8Array): Uint8Array {
  return concat(utf8.encode(label), u32be(id), publicKey);
}

export async function generateSignedPreKey(identity: Identity, id: number, provider?: CryptoProvider): Promise<SignedPreKeyRecord> {
  au32(id, 'id');
  const p = provider ?? (await getProvider());
  const keyPair = await p.x25519Generate();
  const signature = await p.ed25519Sign(identity.signing.secretKey, signedMessage(LABEL.signedPreKey, id, keyPair.publicKey));
  return { id, keyPair, signature };
}

export async function generateKemPreKey(identity: Identity, id: number, provider?: CryptoProvider): Promise<KemPreKeyRecord> {
  au32(id, 'id');
  const p = provider ?? (await getProvider());
  const { publicKey, secretKey } = await p.mlkem768Generate();
  const signature = await p.ed25519Sign(identity.signing.secretKey, signedMessage(LABEL.kemPreKey, id, publicKey));
  return { id, publicKey, secretKey, signature };
}

/** `count` one-time prekeys with ids `firstId`, `firstId + 1`, ... */
export async function generateOneTimePreKeys(firstId: number, count: number, provider?: CryptoProvider): Promise<OneTimePreKeyRecord[]> {
  au32(firstId, 'firstId');
  au32(firstId + count, 'firstId + count');
  const p = provider ?? (await getProvider());
  const out: OneTimePreKeyRecord[] = [];
  for (let i = 0; i < count; i++) out.push({ id: firstId + i, keyPair: await p.x25519Generate() });
  return out;
}

/**
 * True when `signature` is `signingKey`'s signature over a prekey of this kind, id and public
 * key (the relay checks uploads with this; `verifyBundle` uses the same rule).
 */
export async function verifySignedPreKey(
  signingKey: Uint8Array,
  kind: 'signed' | 'kem',
  preKey: { readonly id: number; readonly publicKey: Uint8Array; readonly signature: Uint8Array },
  provider?: CryptoProvider,
): Promise<boolean> {
  au32(preKey.id, 'id');
  abytes(preKey.publicKey, kind === 'signed' ? X25519_LEN : MLKEM768_PUBLIC_LEN, 'publicKey');
  abytes(preKey.signature, ED25519_SIGNATURE_LEN, 'signature');
  const p = provider ?? (await getProvider());
  const label = kind === 'signed' ? LABEL.signedPreKey : LABEL.kemPreKey;
  return p.ed25519Verify(signingKey, signedMessage(label, preKey.id, preKey.publicKey), preKey.signature);
}

/**
 * Verify everything a bundle claims, strictly: the identity certificate, both prekey signatures,
 * key lengths. With `expectedIdentity` (pinned from an invite or an earlier session) a bundle
 * for any other identity is `identity_mismatch`, checked before anything else is trusted.
 */
export async function verifyBundle(bundle: PreKeyBundle, expectedIdentity?: PublicIdentity, provider?: CryptoProvider): Promise<void> {
  const p = provider ?? (await getProvider());
  if (expectedIdentity && !identitiesEqual(bundle.identity, expectedIdentity)) {
    throw fail('identity_mismatch', 'bundle identity differs from the pinned identity');
  }
  abytes(bundle.signedPreKey.publicKey, X25519_LEN, 'signedPreKey.publicKey');
  abytes(bundle.kemPreKey.publicKey, MLKEM768_PUBLIC_LEN, 'kemPreKey.publicKey');
  if (bundle.oneTimePreKey) abytes(bundle.oneTimePreKey.publicKey, X25519_LEN, 'oneTimePreKey.publicKey');
  await verifyPublicIdentity(bundle.identity, p);
  const { signingKey } = bundle.identity;
  const [spkOk, kemOk] = await Promise.all([
    verifySignedPreKey(signingKey, 'signed', bundle.signedPreKey, p),
    verifySignedPreKey(signingKey, 'kem', bundle.kemPreKey, p),
  ]);
  if (!spkOk) throw fail('bad_signature', `signed prekey ${bundle.signedPreKey.id} signature does not verify`);
  if (!kemOk) throw fail('bad_signature', `ML-KEM prekey ${bundle.kemPreKey.id} signature does not verify`);
}

/** The bundle a device would publish. */
export function makeBundle(
  identity: Identity,
  signedPreKey: SignedPreKeyRecord,
  kemPreKey: KemPreKeyRecord,
  oneTimePreKey?: OneTimePreKeyRecord,
): PreKeyBundle {
  return {
    identity: identity.publicIdentity,
    signedPreKey: { id: signedPreKey.id, publicKey: signedPreKey.keyPair.publicKey, signature: signedPreKey.signature },
    kemPreKey: { id: kemPreKey.id, publicKey: kemPreKey.publicKey, signature: kemPreKey.signature },
    ...(oneTimePreKey ? { oneTimePreKey: { id: oneTimePreKey.id, publicKey: oneTimePreKey.keyPair.publicKey } } : {}),
  };
}

/**
 * Bundle wire format (PROTOCOL.md §4.2):
 * version(1) || identity(129) || spkId(4) || spk(32) || spkSig(64) || kemId(4) || kemPk(1184)
 * || kemSig(64) || opkFlag(1) [|| opkId(4) || opk(32)]
 */
export function encodeBundle(b: PreKeyBundle): Uint8Array {
  const w = new Writer()
    .u8(WIRE_VERSION)
    .raw(encodePublicIdentity(b.identity))
    .u32(au32(b.signedPreKey.id, 'signedPreKey.id'))
    .raw(abytes(b.signedPreKey.publicKey, X25519_LEN, 'signedPreKey.publicKey'))
    .raw(abytes(b.signedPreKey.signature, ED25519_SIGNATURE_LEN, 'signedPreKey.signature'))
    .u32(au32(b.kemPreKey.id, 'kemPreKey.id'))
    .raw(abytes(b.kemPreKey.publicKey, MLKEM768_PUBLIC_LEN, 'kemPreKey.publicKey'))
    .raw(abytes(b.kemPreKey.signature, ED25519_SIGNATURE_LEN, 'kemPreKey.signature'));
  if (b.oneTimePreKey) {
    w.u8(1).u32(au32(b.oneTimePreKey.id, 'oneTimePreKey.id')).raw(abytes(b.oneTimePreKey.publicKey, X25519_LEN, 'oneTimePreKey.publicKey'));
  } else {
    w.u8(0);
  }
  return w.finish();
}

export function decodeBundle(bytes: Uint8Array): PreKeyBundle {
  const r = new Reader(abytes(bytes, undefined, 'bundle'), 'prekey bundle');
  const version = r.u8();
  if (version !== WIRE_VERSION) throw fail('unsupported_version', `bundle version ${version}`);
  const identity = decodePublicIdentity(r.raw(PUBLIC_IDENTITY_LEN));
  const signedPreKey = { id: r.u32(), publicKey: r.raw(X25519_LEN), signature: r.raw(ED25519_SIGNATURE_LEN) };
  const kemPreKey = { id: r.u32(), publicKey: r.raw(MLKEM768_PUBLIC_LEN), signature: r.raw(ED25519_SIGNATURE_LEN) };
  const flag = r.u8();
  let oneTimePreKey: { id: number; publicKey: Uint8Array } | undefined;
  if (flag === 1) oneTimePreKey = { id: r.u32(), publicKey: r.raw(X25519_LEN) };
  else if (flag !== 0) throw fail('malformed', `prekey bundle: one-time prekey flag ${flag}`);
  r.end();
  return { identity, signedPreKey, kemPreKey, ...(oneTimePreKey ? { oneTimePreKey } : {}) };
}

/** Serialized private records, for the device's own (encrypted) store. */
export function encodeSignedPreKeyRecord(r: SignedPreKeyRecord): Uint8Array {
  return new Writer().u8(WIRE_VERSION).u32(r.id).raw(r.keyPair.secretKey).raw(r.keyPair.publicKey).raw(r.signature).finish();
}
export function decodeSignedPreKeyRecord(bytes: Uint8Array): SignedPreKeyRecord {
  const r = new Reader(bytes, 'signed prekey record');
  if (r.u8() !== WIRE_VERSION) throw fail('unsupported_version', 'signed prekey record');
  const rec = { id: r.u32(), keyPair: { secretKey: r.raw(32), publicKey: r.raw(32) }, signature: r.raw(ED25519_SIGNATURE_LEN) };
  r.end();
  return rec;
}
export function encodeKemPreKeyRecord(r: KemPreKeyRecord): Uint8Array {
  return new Writer().u8(WIRE_VERSION).u32(r.id).raw(r.secretKey).raw(r.publicKey).raw(r.signature).finish();
}
export function decodeKemPreKeyRecord(bytes: Uint8Array): KemPreKeyRecord {
  const r = new Reader(bytes, 'ML-KEM prekey record');
  if (r.u8() !== WIRE_VERSION) throw fail('unsupported_version', 'ML-KEM prekey record');
  const rec = { id: r.u32(), secretKey: r.raw(MLKEM768_SECRET_LEN), publicKey: r.raw(MLKEM768_PUBLIC_LEN), signature: r.raw(ED25519_SIGNATURE_LEN) };
  r.end();
  return rec;
}
export function encodeOneTimePreKeyRecord(r: OneTimePreKeyRecord): Uint8Array {
  return new Writer().u8(WIRE_VERSION).u32(r.id).raw(r.keyPair.secretKey).raw(r.keyPair.publicKey).finish();
}
export function decodeOneTimePreKeyRecord(bytes: Uint8Array): OneTimePreKeyRecord {
  const r = new Reader(bytes, 'one-time prekey record');
  if (r.u8() !== WIRE_VERSION) throw fail('unsupported_version', 'one-time prekey record');
  const rec = { id: r.u32(), keyPair: { secretKey: r.raw(32), publicKey: r.raw(32) } };
  r.end();
  return rec;
}
