/**
 * The order of a message's delivery status, shared by the outbox (sent, failed) and received
 * receipts (delivered, read): status only moves forward, so a late "sent" never overwrites
 * "read"; `failed` sits apart, below `sent`, so a receipt still moves a failed message on.
 * @module
 */
import type { MessageStatus } from '../data/records.ts';

const ORDER: Record<MessageStatus, number> = { queued: 0, failed: 1, sent: 2, delivered: 3, read: 4 };
export const rank = (s: MessageStatus): number => ORDER[s];
