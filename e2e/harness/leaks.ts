/**
 * The relay must hold no plaintext (ARCHITECTURE.md, boundary 1). After a run, every file the
 * relay wrote — the SQLite database with its -wal/-shm, every blob (recursively) and its log —
 * is searched for "needles": message texts, names, file names, anything the test typed that the
 * relay must never see. Each needle is looked for as
 *
 *   - UTF-8 and UTF-16LE bytes,
 *   - base64 and base64url of its UTF-8 bytes, at each of the three alignments it could have
 *     inside a longer encoded string (only the characters that depend on the needle alone),
 *   - lower-case hex of its UTF-8 bytes.
 *
 * The scan reports every needle found, in which file, at which byte offset and in which encoding.
 * @module
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Relay } from './relay.ts';

export type LeakEncoding = 'utf8' | 'utf16le' | 'base64' | 'base64url' | 'hex';

export interface LeakHit {
  readonly needle: string;
  readonly encoding: LeakEncoding;
  readonly file: string;
  /** Byte offset of the first occurrence in the file. */
  readonly offset: number;
}

/**
 * Below this many UTF-8 bytes a needle could turn up by chance in random ciphertext (and its
 * base64 form would be only a character or two); the scanner refuses it.
 */
export const MIN_NEEDLE_BYTES = 6;

const enc = new TextEncoder();

/**
 * The base64 characters that encode `bytes` when they start `shift` bytes (0, 1 or 2) past a
 * 3-byte boundary: character i covers bits [6i, 6i+6), the needle bits [8·shift, 8·(shift+n)).
 */
function base64Fragment(bytes: Uint8Array, shift: number, url: boolean): string {
  const padded = new Uint8Array(shift + bytes.length);
  padded.set(bytes, shift);
  const full = Buffer.from(padded).toString(url ? 'base64url' : 'base64').replace(/=+$/, '');
  const first = Math.ceil((8 * shift) / 6);
  const last = Math.floor((8 * (shift + bytes.length)) / 6); // exclusive
  return full.slice(first, last);
}

/** Every byte pattern that betrays `needle`, tagged with its encoding. */
export function needlePatterns(needle: string): { encoding: LeakEncoding; bytes: Buffer }[] {
  const utf8 = enc.encode(needle);
  if (utf8.length < MIN_NEEDLE_BYTES) {
    throw new RangeError(`leak needle must be at least ${MIN_NEEDLE_BYTES} UTF-8 bytes, got ${utf8.length}: ${JSON.stringify(needle)}`);
  }
  const patterns: { encoding: LeakEncoding; bytes: Buffer }[] = [
    { encoding: 'utf8', bytes: Buffer.from(utf8) },
    { encoding: 'utf16le', bytes: Buffer.from(needle, 'utf16le') },
    { encoding: 'hex', bytes: Buffer.from(Buffer.from(utf8).toString('hex'), 'latin1') },
  ];
  for (const url of [false, true]) {
    const seen = new Set<string>();
    for (let shift = 0; shift < 3; shift++) {
      const frag = base64Fragment(utf8, shift, url);
      if (seen.has(frag)) continue;
      seen.add(frag);
      patterns.push({ encoding: url ? 'base64url' : 'base64', bytes: Buffer.from(frag, 'latin1') });
    }
  }
  return patterns;
}

/** Every regular file under `path` (itself if it is a file); a missing path yields nothing. */
export async function filesUnder(path: string): Promise<string[]> {
  const s = await stat(path).catch(() => undefined);
  if (s === undefined) return [];
  if (s.isFile()) return [path];
  if (!s.isDirectory()) return [];
  const out: string[] = [];
  for (const entry of await readdir(path, { withFileTypes: true })) {
    out.push(...(await filesUnder(join(path, entry.name))));
  }
  return out.sort();
}

/** Search `paths` (files or folders, recursively) for every needle; returns all hits. */
export async function scanForLeaks(paths: readonly string[], needles: readonly string[]): Promise<LeakHit[]> {
  const compiled = needles.map((needle) => ({ needle, patterns: needlePatterns(needle) }));
  const hits: LeakHit[] = [];
  const files = (await Promise.all(paths.map(filesUnder))).flat();
  for (const file of files) {
    // Read whole: the relay's files in a test run are small, and a read of a file being written
    // (the WAL) just sees what is there.
    const data = await readFile(file).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined; // a -shm or temp file gone in between
      throw e;
    });
    if (data === undefined) continue;
    for (const { needle, patterns } of compiled) {
      for (const { encoding, bytes } of patterns) {
        const offset = data.indexOf(bytes);
        if (offset !== -1) hits.push({ needle, encoding, file, offset });
      }
    }
  }
  return hits;
}

/** What the relay wrote: DATA_DIR (SQLite files, WAL, blobs and anything else there) and its log. */
export function relayFiles(relay: Pick<Relay, 'dataDir' | 'logPath'>): string[] {
  return [relay.dataDir, relay.logPath];
}

/** Scan the relay's files; throws, naming each needle with where and how it was found. */
export async function expectNoLeaks(relay: Pick<Relay, 'dataDir' | 'logPath'>, needles: readonly string[]): Promise<void> {
  const scanned = (await Promise.all(relayFiles(relay).map(filesUnder))).flat();
  if (scanned.length === 0) throw new Error(`leak scan: no relay files under ${relay.dataDir} or ${relay.logPath}`);
  const hits = await scanForLeaks(relayFiles(relay), needles);
  if (hits.length > 0) {
    const list = hits.map((h) => `  ${JSON.stringify(h.needle)} as ${h.encoding} in ${h.file} at byte ${h.offset}`).join('\n');
    throw new Error(`the relay's files hold ${hits.length} plaintext trace(s):\n${list}`);
  }
}
