/**
 * The therapist's own changes to a conversation's triage fields and private details (status by
 * hand, snooze, labels, private note): read the stored record, change it, save it, refresh the
 * lists. On this device only; nothing here is sent.
 * @module
 */
import type { Conversation } from '../data/records.ts';
import { session } from '../state/session.ts';

/** Limits of what a therapist keeps per client, so one record stays small. */
export const MAX_LABELS = 12;
export const MAX_LABEL_LENGTH = 40;
export const MAX_NOTE_LENGTH = 4_000;

/** Applies `change` to the stored conversation `id` (not a copy the view holds: the receiver may have written since). */
export async function changeConversation(id: string, change: (c: Conversation) => Conversation): Promise<void> {
  const s = session();
  if (!s) return;
  const stored = await s.records.conversation(id);
  if (!stored) return;
  await s.records.saveConversation(change(stored));
  await s.refresh();
}

/** `label` added to `labels` (trimmed, once, case-insensitively), within the limits; unchanged when it cannot be. */
export function withLabel(labels: readonly string[] | undefined, label: string): readonly string[] {
  const list = labels ?? [];
  const l = label.trim().slice(0, MAX_LABEL_LENGTH);
  if (!l || list.length >= MAX_LABELS || list.some((x) => x.toLowerCase() === l.toLowerCase())) return list;
  return [...list, l];
}
