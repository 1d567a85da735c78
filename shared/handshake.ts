/**
 * Asynchronous session setup: PQXDH (Signal, "The PQXDH Key Agreement Protocol", rev. 3) over
 * X25519 and ML-KEM-768 (FIPS 203), with the prekey message that carries it (PROTOCOL.md §4).
 *
 * Alice (initiator), holding Bob's verified bundle:
 *   EK = fresh X25519; (CT, SS) = ML-KEM-768.Encaps(PQSPK_B)
 *   DH1 = DH(IK_A, SPK_B)  DH2 = DH(EK, IK_B)  DH3 = DH(EK, SPK_B)  [DH4 = DH(EK, OPK_B)]
 *   SK  = HKDF-SHA-256(ikm = 0xFF^32 || DH1 || DH2 || DH3 [|| DH4] || SS, salt = 0^32,
 *                      info = LABEL.pqxdh || SHA-256(transcript), 32)
 *   AD  = Encode(IK_A) || Encode(IK_B)
 * where transcript = IK_A || IK_B || spkId || SPK_B || kemId || SHA-256(PQSPK_B) || [opkId || OPK_B]
 * || EK || CT binds every public value of the handshake into the key (a deviation that
 * strengthens the spec's KDF input; see PROTOCOL.md §11).
 * Does not: run the ratchet (ratchet.ts) or look anything up (session.ts does, and commits).
 * @module
 */
import { KEY_LEN, LABEL, MLKEM768_CIPHERTEXT_LEN, WIRE_VERSION, X25519_LEN } from './consts.ts';
import { abytes, concat, Reader, wipe, Writer } from './_bytes.ts';
import { hkdf, sha256 } from './_kdf.ts';
import { fail } from './errors.ts';
import { decodePublicIdentity, encodePublicIdentity, PUBLIC_IDENTITY_LEN, type Identity, type PublicIdentity } from './keys.ts';
import { verifyBundle, type KemPreKeyRecord, type OneTimePreKeyRecord, type PreKeyBundle, type SignedPreKeyRecord } from './prekeys.ts';
import { getProvider, type CryptoProvider, type KeyPair } from './provider.ts';

export const MESSAGE_TYPE_PREKEY = 0x02;

/** The PQXDH fields Alice repeats in every message until Bob first answers. */
export interface PreKeyHeader {
  readonly identity: PublicIdentity;
  readonly baseKey: Uint8Array;
  readonly signedPreKeyId: number;
  readonly kemPreKeyId: number;
  readonly oneTimePreKeyId: number | undefined;
  readonly kemCiphertext: Uint8Array;
}

const FF = new Uint8Array(32).fill(0xff);
const ZERO_SALT = new Uint8Array(32);

function transcriptHash(
  initiator: PublicIdentity,
  responder: PublicIdentity,
  spk: { id: number; publicKey: Uint8Array },
  kem: { id: number; publicKey: Uint8Array },
  opk: { id: number; publicKey: Uint8Array } | undefined,
  baseKey: Uint8Array,
  kemCiphertext: Uint8Array,
): Uint8Array {
  const w = new Writer()
    .raw(encodePublicIdentity(initiator))
    .raw(encodePublicIdentity(responder))
    .u32(spk.id)
    .raw(spk.publicKey)
    .u32(kem.id)
    .raw(sha256(kem.publicKey));
  if (opk) w.u8(1).u32(opk.id).raw(opk.publicKey);
  else w.u8(0);
  return sha256(w.raw(baseKey).raw(kemCiphertext).finish());
}

function deriveSecret(dhs: Uint8Array[], kemSecret: Uint8Array, transcript: Uint8Array): Uint8Array {
  const ikm = concat(FF, ...dhs, kemSecret);
  const sk = hkdf(ikm, ZERO_SALT, LABEL.pqxdh, KEY_LEN, transcript);
  wipe(ikm, ...dhs, kemSecret);
  return sk;
}

export function associatedData(initiator: PublicIdentity, responder: PublicIdentity): Uint8Array {
  return concat(encodePublicIdentity(initiator), encodePublicIdentity(responder));
}

/**
 * Alice: verify Bob's bundle (and that it is for `expectedIdentity`, when pinned), then derive
 * the shared secret. Bob's signed prekey becomes his first ratchet key.
 */
export async function pqxdhInitiate(
  ours: Identity,
  bundle: PreKeyBundle,
  options: { expectedIdentity?: PublicIdentity; provider?: CryptoProvider } = {},
): Promise<{ sharedSecret: Uint8Array; ad: Uint8Array; header: PreKeyHeader; baseKey: KeyPair }> {
  const p = options.provider ?? (await getProvider());
  await verifyBundle(bundle, options.expectedIdentity, p);
  // Native X25519 work is started first so that it runs while ML-KEM (pure JS) takes the main thread.
  const [baseKey, dh1, kem] = await Promise.all([
    p.x25519Generate(),
    p.x25519(ours.agreement.secretKey, bundle.signedPreKey.publicKey),
    p.mlkem768Encapsulate(bundle.kemPreKey.publicKey),
  ]);
  const { cipherText: kemCiphertext, sharedSecret: kemSecret } = kem;
  const dhs = [
    dh1,
    ...(await Promise.all([
      p.x25519(baseKey.secretKey, bundle.identity.agreementKey),
      p.x25519(baseKey.secretKey, bundle.signedPreKey.publicKey),
      ...(bundle.oneTimePreKey ? [p.x25519(baseKey.secretKey, bundle.oneTimePreKey.publicKey)] : []),
    ])),
  ];
  const transcript = transcriptHash(
    ours.publicIdentity,
    bundle.identity,
    bundle.signedPreKey,
    bundle.kemPreKey,
    bundle.oneTimePreKey,
    baseKey.publicKey,
    kemCiphertext,
  );
  return {
    sharedSecret: deriveSecret(dhs, kemSecret, transcript),
    ad: associatedData(ours.publicIdentity, bundle.identity),
    baseKey,
    header: {
      identity: ours.publicIdentity,
      baseKey: baseKey.publicKey,
      signedPreKeyId: bundle.signedPreKey.id,
      kemPreKeyId: bundle.kemPreKey.id,
      oneTimePreKeyId: bundle.oneTimePreKey?.id,
      kemCiphertext,
    },
  };
}

/**
 * Bob: derive the same secret from the prekey header and his private prekeys. The caller has
 * looked the prekeys up by id (and refuses unknown ids); nothing is consumed here.
 */
export async function pqxdhRespond(
  ours: Identity,
  header: PreKeyHeader,
  keys: { signedPreKey: SignedPreKeyRecord; kemPreKey: KemPreKeyRecord; oneTimePreKey: OneTimePreKeyRecord | undefined },
  provider?: CryptoProvider,
): Promise<{ sharedSecret: Uint8Array; ad: Uint8Array }> {
  const p = provider ?? (await getProvider());
  if ((header.oneTimePreKeyId === undefined) !== (keys.oneTimePreKey === undefined)) {
    throw fail('invalid_argument', 'one-time prekey presence does not match the header');
  }
  // DHs first (native, off the main thread), ML-KEM decapsulation (pure JS) meanwhile.
  const [kemSecret, ...dhs] = await Promise.all([
    Promise.resolve().then(() => p.mlkem768Decapsulate(header.kemCiphertext, keys.kemPreKey.secretKey)),
    p.x25519(keys.signedPreKey.keyPair.secretKey, header.identity.agreementKey),
    p.x25519(ours.agreement.secretKey, header.baseKey),
    p.x25519(keys.signedPreKey.keyPair.secretKey, header.baseKey),
    ...(keys.oneTimePreKey ? [p.x25519(keys.oneTimePreKey.keyPair.secretKey, header.baseKey)] : []),
  ]);
  const transcript = transcriptHash(
    header.identity,
    ours.publicIdentity,
    { id: keys.signedPreKey.id, publicKey: keys.signedPreKey.keyPair.publicKey },
    { id: keys.kemPreKey.id, publicKey: keys.kemPreKey.publicKey },
    keys.oneTimePreKey ? { id: keys.oneTimePreKey.id, publicKey: keys.oneTimePreKey.keyPair.publicKey } : undefined,
    header.baseKey,
    header.kemCiphertext,
  );
  return { sharedSecret: deriveSecret(dhs, kemSecret, transcript), ad: associatedData(header.identity, ours.publicIdentity) };
}

/**
 * Prekey message wire format (PROTOCOL.md §4.3):
 * version(1) || type(1) = 0x02 || identity(129) || baseKey(32) || spkId(4) || kemId(4)
 * || opkFlag(1) [|| opkId(4)] || kemCiphertext(1088) || ratchet message (rest)
 */
export function encodePreKeyMessage(h: PreKeyHeader, ratchetMessage: Uint8Array): Uint8Array {
  const w = new Writer()
    .u8(WIRE_VERSION)
    .u8(MESSAGE_TYPE_PREKEY)
    .raw(encodePublicIdentity(h.identity))
    .raw(abytes(h.baseKey, X25519_LEN, 'baseKey'))
    .u32(h.signedPreKeyId)
    .u32(h.kemPreKeyId);
  if (h.oneTimePreKeyId === undefined) w.u8(0);
  else w.u8(1).u32(h.oneTimePreKeyId);
  return w.raw(abytes(h.kemCiphertext, MLKEM768_CIPHERTEXT_LEN, 'kemCiphertext')).raw(ratchetMessage).finish();
}

export function decodePreKeyMessage(bytes: Uint8Array): { header: PreKeyHeader; ratchetMessage: Uint8Array } {
  const r = new Reader(abytes(bytes, undefined, 'message'), 'prekey message');
  const version = r.u8();
  if (version !== WIRE_VERSION) throw fail('unsupported_version', `prekey message version ${version}`);
  const type = r.u8();
  if (type !== MESSAGE_TYPE_PREKEY) throw fail('malformed', `prekey message type ${type}`);
  const identity = decodePublicIdentity(r.raw(PUBLIC_IDENTITY_LEN));
  const baseKey = r.raw(X25519_LEN);
  const signedPreKeyId = r.u32();
  const kemPreKeyId = r.u32();
  const flag = r.u8();
  let oneTimePreKeyId: number | undefined;
  if (flag === 1) oneTimePreKeyId = r.u32();
  else if (flag !== 0) throw fail('malformed', `prekey message: one-time prekey flag ${flag}`);
  const kemCiphertext = r.raw(MLKEM768_CIPHERTEXT_LEN);
  const ratchetMessage = r.rest();
  return { header: { identity, baseKey, signedPreKeyId, kemPreKeyId, oneTimePreKeyId, kemCiphertext }, ratchetMessage };
}

/** Serialized length of a prekey header (for the session record). */
export function encodePreKeyHeader(h: PreKeyHeader): Uint8Array {
  return encodePreKeyMessage(h, new Uint8Array(0));
}
export function decodePreKeyHeader(bytes: Uint8Array): PreKeyHeader {
  const { header, ratchetMessage } = decodePreKeyMessage(bytes);
  if (ratchetMessage.length !== 0) throw fail('malformed', 'prekey header has trailing bytes');
  return header;
}

