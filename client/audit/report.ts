/**
 * The readable side of a security-log export: a plain-text report to keep or print beside the
 * JSON file (which is what `npm run audit:verify` checks). Says who signed the log, whether it
 * verified when exported, and lists every entry with its time and details.
 * @module
 */
import type { AuditEvent, AuditExport, AuditVerdict } from '../../shared/audit.ts';
import { identityId } from '../../shared/keys.ts';

/** What each event means, in plain words (also the labels of the log screen). */
export const EVENT_TEXT: Readonly<Record<AuditEvent, string>> = {
  log_started: 'Security log started',
  unlock: 'Unlocked',
  unlock_failed: 'Wrong passphrase entered',
  lock: 'Locked',
  passphrase_changed: 'Passphrase changed',
  identity_changed: 'A contact’s safety number changed',
  identity_confirmed: 'New safety number confirmed',
  consent_given: 'Consent given',
  consent_withdrawn: 'Consent withdrawn',
  consent_version: 'New consent version',
  export: 'Records exported',
  import: 'Records imported',
  backup: 'Backup made',
  restore: 'Restored from a backup',
  deletion: 'Conversation deleted',
  retention_sweep: 'Old messages removed (retention)',
  record_shared: 'Record shared',
  settings_changed: 'Setting changed',
  audit_exported: 'Security log exported',
};

const iso = (ms: number): string => new Date(ms).toISOString();

/** Details that hold a time (ms since the epoch), shown as one. */
const TIME_DETAILS = new Set(['first', 'last']);

/** One detail as text: times as dates (`when` formats them), the rest as they are. */
export const detailText = (key: string, value: string | number | boolean, when: (ms: number) => string = iso): string =>
  TIME_DETAILS.has(key) && typeof value === 'number' ? when(value) : String(value);

export function auditReport(file: AuditExport, verdict: AuditVerdict): string {
  const lines = [
    'Confidant security log: verification report',
    '',
    `Exported: ${iso(file.checkpoint.at)}`,
    `Entries: ${file.entries.length}`,
    verdict.ok
      ? `Result: VERIFIED. Every entry is signed by device ${identityId(verdict.device)}, each follows the one before it, and the closing checkpoint covers all ${verdict.count}.`
      : `Result: NOT VERIFIED${verdict.entry !== undefined ? ` at entry ${verdict.entry}` : ''}: ${verdict.reason}.`,
    'Check the JSON file again at any time with: npm run audit:verify -- FILE',
    '',
  ];
  for (const e of file.entries) {
    const details = Object.entries(e.details)
      .map(([k, v]) => `${k}=${detailText(k, v)}`)
      .join(' ');
    lines.push(`#${e.seq}  ${iso(e.at)}  ${EVENT_TEXT[e.type]}${details ? `  (${details})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
