/**
 * The relay's VAPID key pair (RFC 8292): the P-256 key that signs every push request, so that
 * a push service accepts pushes for a subscription only from the server the subscription was
 * made for (the browser passes the public key to `pushManager.subscribe`). Made at first start:
 *
 * - SQLite (one process): the file `DATA_DIR/vapid-keys.json`, mode 0600, written whole
 *   (temporary file, fsync, rename) so a crash never leaves half a key.
 * - PostgreSQL (several instances share the database): the single row of `push_vapid_keys`,
 *   inserted by the first instance to start; every instance reads the same pair, since a push
 *   signed with another key would be refused for subscriptions made with the first.
 * - Either store: `VAPID_PUBLIC_KEY` and `VAPID_PRIVATE_KEY` (base64url, both or neither) take
 *   precedence, for operators who keep secrets outside the data (docs/OPERATING.md).
 *
 * The private key never leaves the relay and is never logged. Keys come from @noble/curves
 * (its randomness is `crypto.getRandomValues`).
 * @module
 */
import { chmod, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { equalBytes } from '../../shared/bytes.ts';
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';
import type { Store } from '../storage/types.ts';

/** File name of the key pair under DATA_DIR (SQLite only). */
export const VAPID_FILE = 'vapid-keys.json';

/** A VAPID key pair as web-push takes it: base64url, public key uncompressed (65 bytes), private scalar (32). */
export interface VapidKeys {
  readonly publicKey: string;
  readonly privateKey: string;
}

export type VapidSource = 'environment' | 'file' | 'database';

interface KeyBytes {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

const generate = (): KeyBytes => {
  const privateKey = p256.utils.randomSecretKey();
  return { publicKey: p256.getPublicKey(privateKey, false), privateKey };
};

/** A new key pair, base64url (first start; tests). */
export const generateVapidKeys = (): VapidKeys => {
  const { publicKey, privateKey } = generate();
  return { publicKey: toBase64url(publicKey), privateKey: toBase64url(privateKey) };
};

/** The pair if the public key is the private key's, uncompressed; otherwise throws naming `where`. */
function checked(pair: KeyBytes, where: string): VapidKeys {
  const ok = pair.privateKey.length === 32 && p256.utils.isValidSecretKey(pair.privateKey) && pair.publicKey.length === 65 &&
    equalBytes(p256.getPublicKey(pair.privateKey, false), pair.publicKey);
  if (!ok) throw new Error(`relay: the VAPID key pair in ${where} is not a P-256 key pair (public key uncompressed, 65 bytes; private key 32 bytes)`);
  return { publicKey: toBase64url(pair.publicKey), privateKey: toBase64url(pair.privateKey) };
}

const decode = (text: unknown, where: string): Uint8Array => {
  try {
    return fromBase64url(String(text));
  } catch {
    throw new Error(`relay: the VAPID key pair in ${where} is not base64url`);
  }
};

/** Reads the file's pair, or makes one and writes it (mode 0600, whole or not at all). */
async function fromFile(dataDir: string): Promise<VapidKeys> {
  const path = join(dataDir, VAPID_FILE);
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== undefined) {
    await chmod(path, 0o600);
    const json = JSON.parse(text) as { publicKey?: unknown; privateKey?: unknown };
    return checked({ publicKey: decode(json.publicKey, path), privateKey: decode(json.privateKey, path) }, path);
  }
  const keys = generateVapidKeys();
  const temp = `${path}.tmp`;
  await rm(temp, { force: true });
  const file = await open(temp, 'wx', 0o600);
  try {
    await file.writeFile(`${JSON.stringify(keys)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, path);
  return keys;
}

export interface LoadVapidOptions {
  readonly store: Store;
  /** DATA_DIR (used with SQLite). */
  readonly dataDir: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => number;
}

/** The relay's VAPID key pair and where it came from (module doc). */
export async function loadVapidKeys({ store, dataDir, env = process.env, now = Date.now }: LoadVapidOptions): Promise<{ keys: VapidKeys; source: VapidSource }> {
  const pub = env['VAPID_PUBLIC_KEY'] || undefined;
  const priv = env['VAPID_PRIVATE_KEY'] || undefined;
  if (pub !== undefined || priv !== undefined) {
    if (pub === undefined || priv === undefined) throw new Error('relay: set both VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY, or neither');
    const where = 'VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY';
    return { keys: checked({ publicKey: decode(pub, where), privateKey: decode(priv, where) }, where), source: 'environment' };
  }
  if (store.kind === 'postgres' && 'sharedVapidKeys' in store) {
    const shared = store as Store & { sharedVapidKeys(candidate: KeyBytes, now: number): Promise<KeyBytes> };
    return { keys: checked(await shared.sharedVapidKeys(generate(), now()), 'the database'), source: 'database' };
  }
  return { keys: await fromFile(dataDir), source: 'file' };
}
