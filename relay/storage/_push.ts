/**
 * Argument checks and row mapping for push subscriptions, shared by both adapters' `push.ts`
 * (as `_checks.ts` is for the other resources), so both refuse the same inputs the same way.
 * @module
 */
import { ConfidantError } from '../../shared/index.ts';
import { checkBytes, checkCount, checkTime, rowBytes } from './_checks.ts';
import type { PushSubscriptionRow } from './types.ts';

/** A non-empty string, or `invalid_argument`. */
export function checkEndpoint(value: unknown, name = 'endpoint'): string {
  if (typeof value !== 'string' || value === '') {
    throw new ConfidantError('invalid_argument', `${name} must be a non-empty string, got ${typeof value}`);
  }
  return value;
}

/** A subscription's fields, checked. */
export function checkSubscription(sub: PushSubscriptionRow): PushSubscriptionRow {
  return {
    endpoint: checkEndpoint(sub.endpoint, 'subscription.endpoint'),
    p256dh: checkBytes(sub.p256dh, 'subscription.p256dh'),
    auth: checkBytes(sub.auth, 'subscription.auth'),
  };
}

/** `putPushSubscription`'s `max`: at least 1 (the new subscription itself is always kept). */
export function checkMax(value: unknown): number {
  if (checkCount(value, 'max') < 1) throw new ConfidantError('invalid_argument', `max must be >= 1, got ${String(value)}`);
  return value as number;
}

/** `claimPushTargets`'s arguments, checked: the time before which a subscription may be pushed to again. */
export function claimCutoff(now: unknown, intervalMs: unknown): number {
  return checkTime(now, 'now') - checkCount(intervalMs, 'intervalMs');
}

export interface PushDbRow {
  endpoint: string;
  p256dh: Uint8Array;
  auth: Uint8Array;
}

export const toSubscription = (r: PushDbRow): PushSubscriptionRow => ({
  endpoint: r.endpoint,
  p256dh: rowBytes(r.p256dh),
  auth: rowBytes(r.auth),
});
