import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { computeProtocolVectors } from './vectors/protocol.ts';

const file = new URL('./vectors/protocol-v1.json', import.meta.url);
// Regenerate only on purpose: a changed transcript is a wire-format change (PROTOCOL.md).
if (process.env.UPDATE_VECTORS === '1') writeFileSync(file, JSON.stringify(await computeProtocolVectors(), null, 2) + '\n');
const frozen = JSON.parse(readFileSync(file, 'utf8'));

describe('frozen protocol transcript (vectors/protocol-v1.json)', () => {
  it('recomputes byte for byte: identities, bundle, PQXDH, envelopes, ratchet step, session records', async () => {
    const now = await computeProtocolVectors();
    // Compare field by field so a failure names the first wire format that changed.
    for (const key of Object.keys(frozen)) expect({ [key]: now[key] }).toEqual({ [key]: frozen[key] });
    expect(Object.keys(now).sort()).toEqual(Object.keys(frozen).sort());
  });

  it('pins the sizes a relay and a UI rely on', () => {
    // version(1) + mailbox(16) + ephemeral(32) + static(48) + sealed content.
    const first = frozen.firstEnvelope.length / 2;
    const second = frozen.secondEnvelope.length / 2;
    // The first message carries the PQXDH prekey header (identity, base key, ids, ML-KEM ciphertext).
    expect(first - second).toBe(1 + 1 + 129 + 32 + 4 + 4 + 1 + 4 + 1088);
    // A 22-byte text pads to 256, then ratchet header 42 + tag 16, sender identity 129 + type 1, tag 16.
    expect(second).toBe(1 + 16 + 32 + 48 + 129 + 1 + 42 + 256 + 16 + 16);
    expect(frozen.bobOneTimePreKeysLeft).toBe(0);
  });
});
