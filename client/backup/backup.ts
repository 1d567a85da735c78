/**
 * Making a backup file in the browser (format: client/backup/format.ts): the vault streams
 * through the encryption into the origin-private file system (OPFS) where the browser has one,
 * so the file is never whole in memory, and the page then offers it as a download. Without OPFS
 * the encrypted stream is gathered into a Blob a few megabytes at a time, which the browser keeps
 * out of the page's memory.
 * @module
 */
import type { Identity } from '../../shared/keys.ts';
import type { AuditLog } from '../audit/log.ts';
import type { KdfCost } from '../vault/kdf.ts';
import type { VaultProtocolStore } from '../vault/protocol-store.ts';
import type { Vault } from '../vault/vault.ts';
import { writeBackup } from './format.ts';

/** The file name a backup is offered under; the date is the backup's (UTC). */
export const backupFileName = (at: number): string => `confidant-backup-${new Date(at).toISOString().slice(0, 10)}.confidant`;

const SCRATCH = 'confidant-backup.part';
/** Without OPFS: bytes gathered before they are handed to the browser as a Blob. */
const GATHER = 8 * 1024 * 1024;

export interface BackupDeps {
  readonly vault: Vault;
  readonly store: VaultProtocolStore;
  readonly identity: Identity;
  readonly audit: AuditLog;
}

export interface MadeBackup {
  readonly file: Blob;
  readonly name: string;
  readonly records: number;
  readonly bytes: number;
}

async function toOpfs(stream: ReadableStream<Uint8Array>): Promise<Blob | undefined> {
  const storage = globalThis.navigator?.storage as (StorageManager & { getDirectory?: () => Promise<FileSystemDirectoryHandle> }) | undefined;
  if (typeof storage?.getDirectory !== 'function') return undefined;
  let handle: FileSystemFileHandle;
  let writable: FileSystemWritableFileStream;
  try {
    const root = await storage.getDirectory();
    handle = await root.getFileHandle(SCRATCH, { create: true });
    writable = await handle.createWritable();
  } catch {
    return undefined; // no OPFS writes here (a private window, an old browser)
  }
  await stream.pipeTo(writable);
  return handle.getFile();
}

async function toBlob(stream: ReadableStream<Uint8Array>): Promise<Blob> {
  let blob = new Blob([]);
  let parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    parts.push(chunk);
    size += chunk.length;
    if (size >= GATHER) {
      blob = new Blob([blob, ...(parts as BlobPart[])]);
      parts = [];
      size = 0;
    }
  }
  return new Blob([blob, ...(parts as BlobPart[])]);
}

/** Backs up the whole vault; `passphrase` lets that passphrase open it too (the phrase always can). */
export async function makeBackup(
  deps: BackupDeps,
  options: { readonly passphrase?: string; readonly kdf?: KdfCost; readonly onProgress?: (done: number, total: number) => void; readonly now?: number } = {},
): Promise<MadeBackup> {
  const createdAt = options.now ?? Date.now();
  const rootSecret = await deps.store.rootSecret();
  const keys = deps.vault.backupKeys();
  try {
    const backup = await writeBackup({
      keys,
      records: () => deps.vault.rawRecords(),
      secrets: {
        rootSecret,
        signingKey: deps.identity.publicIdentity.signingKey,
        ...(options.passphrase ? { passphrase: options.passphrase } : {}),
        ...(options.kdf ? { kdf: options.kdf } : {}),
      },
      createdAt,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const file = (await toOpfs(backup.stream)) ?? (await toBlob(backup.stream));
    const { records, bytes } = await backup.done;
    await deps.audit.record('backup', { to: 'file', records, bytes, passphrase: options.passphrase !== undefined });
    return { file, name: backupFileName(createdAt), records, bytes };
  } finally {
    rootSecret.fill(0);
    keys.vaultKey.fill(0);
  }
}
