/**
 * Standalone check of a security-log export (PROTOCOL.md §15): `npm run audit:verify -- FILE`.
 * Reads the JSON file the app's "Export the log" saves, checks the device certificate, every
 * entry's position, link and signature, and the closing checkpoint, and says so in plain words.
 *
 *   exit 0   the log verifies: prints how many entries, their time range and the device
 *   exit 1   it does not: prints the first bad entry (its number, type and time) and why
 *   exit 2   no file, an unreadable file, or not JSON
 *
 * Runs in Node with nothing but this repository's shared/ code; needs no relay and no network.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { verifyAuditExport, type AuditVerdict } from '../shared/audit.ts';
import { identityId } from '../shared/keys.ts';

const USAGE = 'usage: npm run audit:verify -- FILE';

const when = (ms: number): string => new Date(ms).toISOString();

/** The report for a verdict on `file` (the parsed JSON, to describe the bad entry). */
function report(verdict: AuditVerdict, file: unknown): string {
  if (verdict.ok) {
    const range = verdict.count === 0 ? 'no entries' : `${verdict.count} entries, ${when(verdict.first!)} to ${when(verdict.last!)}`;
    return `OK: the log verifies (${range}), signed by device ${identityId(verdict.device)}.`;
  }
  if (verdict.entry === undefined) return `NOT VERIFIED: ${verdict.reason}.`;
  const entries = typeof file === 'object' && file !== null && 'entries' in file && Array.isArray(file.entries) ? (file.entries as unknown[]) : [];
  const bad = entries[verdict.entry] as { type?: unknown; at?: unknown } | undefined;
  const what = bad && typeof bad.type === 'string' && typeof bad.at === 'number' ? ` (${bad.type} at ${when(bad.at)})` : '';
  return `NOT VERIFIED: first bad entry is number ${verdict.entry}${what}: ${verdict.reason}.`;
}

async function main(args: readonly string[]): Promise<number> {
  const [path, ...rest] = args;
  if (path === undefined || rest.length > 0) {
    console.error(USAGE);
    return 2;
  }
  let file: unknown;
  try {
    file = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    console.error(`audit:verify: cannot read ${path} as JSON (${(e as Error).message})\n${USAGE}`);
    return 2;
  }
  const verdict = await verifyAuditExport(file);
  console.log(report(verdict, file));
  return verdict.ok ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
