/**
 * The conformance suites for the relay's storage, one per resource as the interfaces are
 * (../types.ts), each run against every adapter: each adapter's test file calls
 * `storeConformance` (sqlite/sqlite.test.ts, postgres/postgres.test.ts). A third adapter passes
 * these suites.
 *
 * Together they cover every Store and BlobStore method, the expected refusals (used, expired and
 * unknown codes and invites, an existing account, a replayed nonce, a revoked or misdirected
 * capability, quota by count and by bytes, duplicate versus conflicting sends, someone else's
 * ack, an oversize blob) and that each refusal leaves every row as it was. Through the adapter's
 * `tables()` they also check what is at rest: an acknowledged message's tombstone holds no id,
 * limit rows hold no account key, blob rows hold no uploader key (issue 9, items 2 and 8). Time
 * is always the `now` the test passes: nothing here reads the clock or asserts durations.
 * @module
 */
import { describe } from 'vitest';
import { accountsConformance } from './accounts.ts';
import { blobsConformance } from './blobs.ts';
import { inviteBodiesConformance } from './invite-bodies.ts';
import type { OpenStore } from './_fixture.ts';
import { mailboxesConformance } from './mailboxes.ts';
import { messagesConformance } from './messages.ts';
import { prekeysConformance } from './prekeys.ts';
import { pushConformance } from './push.ts';
import { sweepConformance } from './sweep.ts';

export type { OpenedForTest, OpenStore } from './_fixture.ts';

/** Registers every resource's suite for one adapter. `open` is called before every test. */
export function storeConformance(name: string, open: OpenStore): void {
  describe(`Store conformance: ${name}`, () => {
    sweepConformance(open);
    accountsConformance(open);
    prekeysConformance(open);
    mailboxesConformance(open);
    messagesConformance(open);
    blobsConformance(open);
    pushConformance(open);
    inviteBodiesConformance(open);
  });
}
