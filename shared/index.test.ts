import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as api from './index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Source files under `dir` (recursively), without dependencies, build output or dot-folders. */
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.') ? [] : sources(join(dir, e.name));
    return /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [];
  });

describe('shared/ public API', () => {
  it('exports exactly the documented names', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "ATTACHMENT_HEADER_LEN",
        "AUTH_HEADERS",
        "CAPABILITY_LEN",
        "ConfidantError",
        "ENVELOPE_HEADER_LEN",
        "ERROR_CODES",
        "MAX_CONSENT_TEXT",
        "MAX_EMERGENCY_NOTICE",
        "MAX_PRACTICE_NAME",
        "MIN_ENVELOPE_LEN",
        "MemoryProtocolStore",
        "PAYLOAD_VERSION",
        "addressOf",
        "clearKeyCache",
        "clearSealedSenderCache",
        "consts",
        "createAttachmentDecryptor",
        "createAttachmentEncryptor",
        "decodeBundle",
        "decodeInvite",
        "decodeKemPreKeyRecord",
        "decodeOneTimePreKeyRecord",
        "decodePayload",
        "decodePublicIdentity",
        "decodeSessionRecord",
        "decodeSignedPreKeyRecord",
        "decryptAttachment",
        "deriveIdentity",
        "detectProvider",
        "encodeBundle",
        "encodeInvite",
        "encodeKemPreKeyRecord",
        "encodeOneTimePreKeyRecord",
        "encodePayload",
        "encodePublicIdentity",
        "encodeSessionRecord",
        "encodeSignedPreKeyRecord",
        "encryptAttachment",
        "encryptedSize",
        "envelopeMailboxId",
        "formatSafetyNumber",
        "fromBase64url",
        "fromHex",
        "generateAttachmentKey",
        "generateKemPreKey",
        "generateOneTimePreKeys",
        "generateRootSecret",
        "generateSignedPreKey",
        "getProvider",
        "identitiesEqual",
        "identityId",
        "isInviteExpired",
        "isRejectedMessage",
        "makeBundle",
        "matchesScanned",
        "nobleProvider",
        "openMessage",
        "pad",
        "paddedAttachmentSize",
        "paddedLength",
        "phraseToRootSecret",
        "randomBytes",
        "requestSigningMessage",
        "rootSecretToPhrase",
        "safetyNumber",
        "schemas",
        "sealMessage",
        "signRequest",
        "startSession",
        "toBase64url",
        "toHex",
        "unpad",
        "verifyBundle",
        "verifyPublicIdentity",
        "verifyRequest",
        "verifySignedPreKey",
        "wipeIdentity",
      ]
    `);
  });

  it('nothing outside shared/ imports an internal file (shared/_*.ts) or the test vectors', () => {
    const internal = /(?:from|import)\s*\(?\s*['"][^'"]*\bshared\/(?:_[^'"/]*|vectors\/[^'"]*)['"]/;
    const files = ['client', 'relay', 'e2e', 'bench'].flatMap((d) => sources(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(50);
    expect(files.filter((f) => internal.test(readFileSync(f, 'utf8'))).map((f) => f.slice(ROOT.length))).toEqual([]);
  });
});
