/**
 * Where a message sits in its conversation, for opening a search result there
 * (client/views/conversation.tsx shows the newest messages a page at a time; to show an older
 * one it must show this many).
 * @module
 */
import { messageKey, type Records } from '../data/records.ts';

/** Messages read per vault page while counting. */
const PAGE = 500;

/**
 * How many messages, from the newest back to `messageId` included, the conversation holds;
 * undefined when the message is not there. Reads the newer messages a page at a time.
 */
export async function messagesFromNewest(records: Records, conversationId: string, messageId: string): Promise<number | undefined> {
  const m = await records.message(conversationId, messageId);
  if (!m) return undefined;
  const key = messageKey(m.sentAt, m.id);
  let newer = 0;
  let beforeKey: string | undefined;
  for (;;) {
    const page = await records.messages(conversationId, { limit: PAGE, ...(beforeKey !== undefined ? { beforeKey } : {}) });
    const at = page.findIndex((e) => e.key === key);
    if (at >= 0) return newer + page.length - at;
    if (page.length < PAGE) return undefined;
    newer += page.length;
    beforeKey = page[0]!.key;
  }
}
