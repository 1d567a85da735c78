import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REQUEST_MAX_SKEW_MS } from './consts.ts';
import { deriveIdentity, generateRootSecret } from './keys.ts';
import { AUTH_HEADERS, requestSigningMessage, signRequest, verifyRequest, type RequestToSign } from './request-auth.ts';

const NOW = 1_800_000_000_000;
const request: RequestToSign = { method: 'POST', path: '/v1/messages?x=1', body: new TextEncoder().encode('{"a":1}') };
const asHeaders = (h: Record<string, string>) => new Headers(h);

describe('signed relay requests', () => {
  it('a signed request verifies, and yields the key and nonce', async () => {
    const id = await deriveIdentity(generateRootSecret());
    const headers = await signRequest(id, request, { now: NOW });
    const v = await verifyRequest(asHeaders(headers), request, NOW + 1000);
    expect('failure' in v).toBe(false);
    if (!('failure' in v)) expect(v.signingKey).toEqual(id.signing.publicKey);
  });

  it('binds method, path, query and body: changing any one fails', async () => {
    const id = await deriveIdentity(generateRootSecret());
    const headers = asHeaders(await signRequest(id, request, { now: NOW }));
    const variants: RequestToSign[] = [
      { ...request, method: 'PUT' },
      { ...request, path: '/v1/messages?x=2' },
      { ...request, path: '/v1/message?x=1' },
      { ...request, body: new TextEncoder().encode('{"a":2}') },
      { ...request, body: new Uint8Array(0) },
    ];
    for (const r of variants) expect(await verifyRequest(headers, r, NOW)).toEqual({ failure: 'bad_signature' });
  });

  it('refuses stale or future requests beyond the skew window', async () => {
    const id = await deriveIdentity(generateRootSecret());
    const headers = asHeaders(await signRequest(id, request, { now: NOW }));
    expect(await verifyRequest(headers, request, NOW + REQUEST_MAX_SKEW_MS + 1)).toEqual({ failure: 'stale' });
    expect(await verifyRequest(headers, request, NOW - REQUEST_MAX_SKEW_MS - 1)).toEqual({ failure: 'stale' });
  });

  it('refuses missing and malformed headers without throwing', async () => {
    const id = await deriveIdentity(generateRootSecret());
    const good = await signRequest(id, request, { now: NOW });
    for (const name of Object.values(AUTH_HEADERS)) {
      const h = { ...good };
      delete (h as Record<string, string>)[name];
      expect(await verifyRequest(asHeaders(h), request, NOW)).toEqual({ failure: 'missing' });
    }
    const bad = [
      { [AUTH_HEADERS.key]: good[AUTH_HEADERS.key].slice(1) },
      { [AUTH_HEADERS.nonce]: 'AA' },
      { [AUTH_HEADERS.signature]: good[AUTH_HEADERS.signature] + 'A' },
      { [AUTH_HEADERS.time]: '1e12' },
      { [AUTH_HEADERS.time]: '-5' },
    ];
    for (const b of bad) expect(await verifyRequest(asHeaders({ ...good, ...b }), request, NOW)).toEqual({ failure: 'malformed' });
  });

  it('another key cannot sign for an account', async () => {
    const [alice, mallory] = await Promise.all([deriveIdentity(generateRootSecret()), deriveIdentity(generateRootSecret())]);
    const forged = await signRequest(mallory, request, { now: NOW });
    forged[AUTH_HEADERS.key] = (await signRequest(alice, request, { now: NOW }))[AUTH_HEADERS.key];
    expect(await verifyRequest(asHeaders(forged), request, NOW)).toEqual({ failure: 'bad_signature' });
  });

  it('any flipped bit of the signature fails', async () => {
    const id = await deriveIdentity(generateRootSecret());
    const headers = await signRequest(id, request, { now: NOW });
    const sig = Buffer.from(headers[AUTH_HEADERS.signature], 'base64url');
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 511 }), async (bit) => {
        const s = Uint8Array.from(sig);
        s[bit >> 3]! ^= 1 << (bit & 7);
        const h = { ...headers, [AUTH_HEADERS.signature]: Buffer.from(s).toString('base64url') };
        expect(await verifyRequest(asHeaders(h), request, NOW)).toEqual({ failure: 'bad_signature' });
      }),
      { numRuns: 64 },
    );
  });

  it('the signed message is frozen (PROTOCOL.md §13)', () => {
    const msg = requestSigningMessage({ method: 'GET', path: '/v1/x', body: new Uint8Array(0) }, 1, 'AAAAAAAAAAAAAAAAAAAAAA');
    expect(Buffer.from(msg).toString('hex')).toMatchInlineSnapshot(`"436f6e666964616e742076312072656c6179207265717565737400474554002f76312f780031004141414141414141414141414141414141414141414100e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"`);
  });
});
