import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Conversation } from '../data/records.ts';
import { conversations, phase, unreadTotal } from './signals.ts';
import { startUnreadIndicator, titleFor } from './unread.ts';

const conversation = (id: string, unread: number): Conversation =>
  ({ id, peer: new Uint8Array(129), label: `Secret name ${id}`, unread, urgentUnread: 0, lastAt: 0 }) as Conversation;

describe('unread indicator: the title and app badge say how many, never who or what', () => {
  const doc = { title: '' };
  const setAppBadge = vi.fn(async (_n?: number) => undefined);
  const clearAppBadge = vi.fn(async () => undefined);
  let stop: () => void;

  beforeEach(() => {
    vi.stubGlobal('document', doc);
    vi.stubGlobal('navigator', { setAppBadge, clearAppBadge });
    setAppBadge.mockClear();
    clearAppBadge.mockClear();
    phase.value = 'ready';
    conversations.value = [];
    stop = startUnreadIndicator();
  });

  afterEach(() => {
    stop();
    vi.unstubAllGlobals();
    phase.value = 'starting';
    conversations.value = [];
  });

  it('sums the inbox\'s unread counts into the title and the badge, and clears both at zero', () => {
    expect(doc.title).toBe('Confidant');
    conversations.value = [conversation('a', 2), conversation('b', 0), conversation('c', 1)];
    expect(unreadTotal.value).toBe(3);
    expect(doc.title).toBe('(3) Confidant');
    expect(doc.title).not.toMatch(/Secret name/);
    expect(setAppBadge).toHaveBeenLastCalledWith(3);
    conversations.value = [conversation('a', 0), conversation('b', 0), conversation('c', 0)];
    expect(doc.title).toBe('Confidant');
    expect(clearAppBadge).toHaveBeenCalled();
  });

  it('shows nothing while locked, and leaves the badge a push may have set', () => {
    conversations.value = [conversation('a', 4)];
    setAppBadge.mockClear();
    clearAppBadge.mockClear();
    phase.value = 'locked';
    expect(doc.title).toBe('Confidant');
    expect(setAppBadge).not.toHaveBeenCalled();
    expect(clearAppBadge).not.toHaveBeenCalled();
  });

  it('titleFor', () => {
    expect(titleFor(0)).toBe('Confidant');
    expect(titleFor(12)).toBe('(12) Confidant');
  });
});
