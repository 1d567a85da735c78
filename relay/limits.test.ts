/**
 * The relay's limits hold the values docs/API.md, docs/OPERATING.md and docs/THREAT-MODEL.md
 * state, written out here as plain numbers: changing one is a decision to make in the docs
 * too, never a side effect of moving code.
 */
import { describe, expect, it } from 'vitest';
import * as limits from './limits.ts';

const DAY = 24 * 60 * 60 * 1000;

describe('relay limits', () => {
  it('hold their documented values', () => {
    expect({ ...limits }).toEqual({
      MAX_HEADER_BYTES: 16_384,
      REFUSAL_LINGER_MS: 2_000,
      BODY_LIMITS: { small: 8_192, preKeys: 16_384, ack: 16_384, invite: 24_576, envelope: 262_144, none: 0 },
      DEFAULT_RATE_LIMIT: { capacity: 120, refillPerSecond: 20 },
      DEFAULT_MAX_KEYS: 10_000,
      DEFAULT_MESSAGE_TTL_MS: 30 * DAY,
      DEFAULT_MAILBOX_QUOTA: { maxMessages: 10_000, maxBytes: 104_857_600 },
      DEFAULT_MESSAGE_PAGE: 100,
      DEFAULT_BLOB_MAX_BYTES: 262_144_000,
      DEFAULT_BLOB_TTL_MS: 30 * DAY,
      DEFAULT_INCOMPLETE_BLOB_MAX_AGE_MS: DAY,
      SWEEP_INTERVAL_MS: 3_600_000,
      INVITE_TTL_MS: 7 * DAY,
      REGISTRATION_CODE_DEFAULT_DAYS: 7,
      REGISTRATION_CODE_MAX_DAYS: 365,
      ONE_TIME_PREKEYS_PER_REQUESTER: 3,
      ONE_TIME_PREKEY_WINDOW_MS: DAY,
      LIVE_MAX_FRAME_BYTES: 16_384,
      LIVE_WS_MAX_PAYLOAD: 65_536,
      LIVE_MAX_MAILBOXES: 50,
      LIVE_DEFAULT_AUTH_TIMEOUT_MS: 10_000,
      LIVE_DEFAULT_MAX_SOCKETS_PER_ACCOUNT: 5,
      MAX_PUSH_ENDPOINT_LEN: 1_024,
      MAX_PUSH_SUBSCRIPTIONS_PER_ACCOUNT: 10,
      PUSH_THROTTLE_MS: 180_000,
      PUSH_TTL_SECONDS: 3_600,
      PUSH_REQUEST_TIMEOUT_MS: 10_000,
      PUSH_QUEUE_MAX: 1_000,
      PUSH_CONCURRENCY: 8,
    });
  });
});
