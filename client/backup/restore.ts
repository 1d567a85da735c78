/**
 * Restoring from a backup file with the recovery phrase (docs/VAULT.md "Backups"), and what a
 * restored device must do before it writes again.
 *
 * The vault comes back as it was at the backup, so its ratchets are older than the peers':
 * whatever was sent or received on the old device after the backup is not here, and sealing
 * with an old sending chain would reuse counters the peer has already passed. So, once, with the
 * relay reachable (`finishRestore`, from the session's sync):
 *
 * 1. the relay's one-time prekeys are cleared (the old device uploaded some after the backup;
 *    their private keys are not here), the prekey id counters jump ahead (a peer may still hold
 *    one of those ids), and a fresh signed prekey, KEM prekey and one-time prekeys are published;
 * 2. each conversation's session is restarted from the peer's current bundle: the next message
 *    is a prekey message from the same identity, which the peer takes as a new session of a
 *    person it already knows (no safety-number change: the identity is the one the phrase
 *    derives). Messages the peer sealed in the old session meanwhile that this device cannot
 *    open go through the retry request (PROTOCOL.md §9.1), answered in the new session;
 * 3. each conversation gets a notice where its history stops ("restored from a backup made
 *    ..."), so the gap is said, not silent;
 * 4. the security log records the restore.
 * @module
 */
import { toBase64url } from '../../shared/encoding.ts';
import { decodePublicIdentity, deriveIdentity, phraseToRootSecret } from '../../shared/keys.ts';
import { startSession } from '../../shared/session.ts';
import { provisionDevice } from '../account/onboarding.ts';
import type { RelayApi } from '../api/relay.ts';
import type { AuditLog } from '../audit/log.ts';
import { addressOf, Records, type Profile } from '../data/records.ts';
import { VaultProtocolStore } from '../vault/protocol-store.ts';
import { equalBytes } from '../../shared/bytes.ts';
import type { Identity } from '../../shared/keys.ts';
import type { KdfCost } from '../vault/kdf.ts';
import { restoreVault, type Vault } from '../vault/vault.ts';
import { BackupError, openBackup } from './format.ts';

/** How far the prekey ids jump after a restore: more than a device hands out in years. */
const PREKEY_ID_JUMP = 1 << 16;

export interface RestoreInput {
  readonly file: ReadableStream<Uint8Array>;
  readonly phrase: string;
  /** The passphrase for this device. */
  readonly passphrase: string;
  readonly dbName: string;
  readonly kdf?: KdfCost;
  /** Hears the bytes of the file read so far. */
  readonly onProgress?: (bytes: number) => void;
  readonly now?: number;
}

/**
 * A vault in `dbName` holding the backup, unlocked, marked as restored (sessions are restarted
 * by `finishRestore` once the app runs). The phrase must be the one the backup was made with:
 * anything else is `wrong_phrase` before a byte of the body is read.
 */
export async function restoreFromBackup(input: RestoreInput): Promise<Vault> {
  let rootSecret: Uint8Array;
  try {
    rootSecret = phraseToRootSecret(input.phrase);
  } catch (e) {
    throw new BackupError('wrong_phrase', (e as Error).message, { cause: e });
  }
  const identity = await deriveIdentity(rootSecret);
  const backup = await openBackup(input.file);
  if (backup.header.identity !== toBase64url(identity.publicIdentity.signingKey)) {
    throw new BackupError('wrong_phrase', 'this backup was made with a different recovery phrase');
  }
  const body = await backup.unlock({ rootSecret });
  if (input.onProgress) body.onProgress = input.onProgress;
  const vault = await restoreVault(body, body.records, input.passphrase, { dbName: input.dbName, ...(input.kdf ? { kdf: input.kdf } : {}) });
  body.vaultKey.fill(0);
  try {
    const store = await VaultProtocolStore.open(vault);
    if (!equalBytes(await store.rootSecret(), rootSecret)) throw new BackupError('wrong_phrase', 'the backup holds a different identity than this recovery phrase');
    store.close();
    const records = new Records(vault);
    const profile = await records.profile();
    if (!profile) throw new BackupError('damaged', 'the backup holds no account');
    await records.saveProfile({ ...profile, restoredFrom: { backupAt: backup.header.createdAt, at: input.now ?? Date.now() } });
    return vault;
  } catch (e) {
    await vault.destroy();
    throw e;
  } finally {
    rootSecret.fill(0);
  }
}

export interface FinishRestoreDeps {
  readonly api: RelayApi;
  readonly identity: Identity;
  readonly store: VaultProtocolStore;
  readonly records: Records;
  readonly audit: AuditLog;
}

/**
 * Steps 1-4 of the module comment, when `profile` says a restore is unfinished. Every step may
 * run again (a failure, offline, leaves `done` unset and the next sync tries again). Returns the
 * profile as stored afterwards.
 */
export async function finishRestore(deps: FinishRestoreDeps, profile: Profile, now: number): Promise<Profile> {
  const restored = profile.restoredFrom;
  if (!restored || restored.done) return profile;
  const { api, identity, store, records } = deps;
  await api.clearOneTimePreKeys(identity);
  await store.skipPreKeyIds(PREKEY_ID_JUMP);
  await store.generateSignedPreKey();
  await store.generateKemPreKey();
  await provisionDevice(api, identity, store, profile);
  let restarted = 0;
  for (const c of await records.conversations()) {
    await records.saveMessage(c.id, { id: `restored:${restored.backupAt}`, mine: false, sentAt: restored.backupAt, status: 'read', notice: 'restored' });
    // Nothing to restart where sending cannot work (a replaced device) or waits on a person's say.
    if (c.disconnectedAt !== undefined || c.pendingIdentity !== undefined || c.sendMailboxId === undefined) continue;
    const peer = decodePublicIdentity(c.peer);
    const bundle = await api.fetchBundle(identity, peer.signingKey);
    await store.transact((session) => startSession(session, addressOf(c), bundle, { expectedIdentity: peer }));
    restarted++;
  }
  const done: Profile = { ...profile, provisionedAt: now, restoredFrom: { ...restored, done: true } };
  await records.saveProfile(done);
  await deps.audit.record('restore', { backupAt: restored.backupAt, sessionsRestarted: restarted });
  return done;
}
