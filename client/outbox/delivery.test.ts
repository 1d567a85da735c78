/**
 * The delivery bound (client/outbox/delivery.ts) with an injected clock: a message of mine the
 * relay accepted shows "Not delivered" once the bound has passed without a delivered receipt.
 */
import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '../data/records.ts';
import { DELIVERY_BOUND_MS, notDelivered, URGENT_DELIVERY_BOUND_MS } from './delivery.ts';

const T = 1_800_000_000_000;
const sent: StoredMessage = { id: 'a', mine: true, sentAt: T - 5_000, relayAt: T, status: 'sent', text: 'hi' };

describe('notDelivered', () => {
  it('a sent message turns "Not delivered" exactly at the bound, counted from when the relay accepted it', () => {
    expect(notDelivered(sent, T + DELIVERY_BOUND_MS - 1)).toBe(false);
    expect(notDelivered(sent, T + DELIVERY_BOUND_MS)).toBe(true);
    // Queued offline for two days, then sent: the bound starts at the relay, not at writing.
    expect(notDelivered({ ...sent, sentAt: T - 2 * DELIVERY_BOUND_MS }, T + 1)).toBe(false);
  });

  it('an urgent message has the shorter bound', () => {
    const urgent = { ...sent, urgent: true };
    expect(notDelivered(urgent, T + URGENT_DELIVERY_BOUND_MS - 1)).toBe(false);
    expect(notDelivered(urgent, T + URGENT_DELIVERY_BOUND_MS)).toBe(true);
    expect(URGENT_DELIVERY_BOUND_MS).toBeLessThan(DELIVERY_BOUND_MS);
  });

  it('failed is "Not delivered" at once; delivered, read, waiting, theirs and notices never are', () => {
    const late = T + 10 * DELIVERY_BOUND_MS;
    expect(notDelivered({ ...sent, status: 'failed' }, T)).toBe(true);
    for (const status of ['delivered', 'read', 'queued'] as const) expect(notDelivered({ ...sent, status }, late)).toBe(false);
    expect(notDelivered({ ...sent, mine: false }, late)).toBe(false);
    expect(notDelivered({ ...sent, mine: false, notice: 'unopenable' }, late)).toBe(false);
  });
});
