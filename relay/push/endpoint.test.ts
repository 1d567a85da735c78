/**
 * The endpoint rules' parts that the route tests cannot reach without the network: the address
 * classifier on its own, and the connect-time lookup that refuses a public-looking name whose
 * DNS answer holds a non-public address (DNS rebinding, a name pointed at 127.0.0.1).
 */
import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { checkEndpointUrl, isPublicAddress, publicLookup, publicLookupWith } from './endpoint.ts';

describe('isPublicAddress', () => {
  it.each([
    '8.8.8.8', '1.1.1.1', '142.250.74.106', '100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0', '223.255.255.255',
    '2001:4860:4860::8888', '2a00:1450:4001:80b::200a', '::ffff:8.8.8.8',
  ])('public: %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it.each([
    '127.0.0.1', '127.255.255.254', '0.0.0.0', '10.0.0.1', '172.16.0.1', '192.168.255.255', '100.64.0.1', '100.127.255.255',
    '169.254.169.254', '192.0.0.8', '198.18.0.1', '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255',
    '::', '::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::127.0.0.1', 'fe80::1', 'fc00::1', 'fd00::1', 'ff02::1',
    '64:ff9b::a00:1', '2001:db8::1', '2002:a00:1::1', '100::1', 'fec0::1', '3fff::1',
    'not an address', '',
  ])('not public: %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });
});

describe('publicLookupWith: the address connected to is the address checked', () => {
  const answering = (addresses: LookupAddress[]) =>
    publicLookupWith((_host, _options, callback) => callback(null, addresses));
  const lookupAll = (lookup: ReturnType<typeof answering>): Promise<LookupAddress[]> =>
    new Promise((resolve, reject) => lookup('push.example.com', { all: true }, (err, list) => (err ? reject(err) : resolve(list as LookupAddress[]))));

  it('hands on a name whose every address is public, in both call forms', async () => {
    const lookup = answering([{ address: '142.250.74.106', family: 4 }, { address: '2a00:1450:4001:80b::200a', family: 6 }]);
    expect(await lookupAll(lookup)).toHaveLength(2);
    const one = await new Promise<[string, number | undefined]>((resolve, reject) =>
      lookup('push.example.com', {}, (err, address, family) => (err ? reject(err) : resolve([address as string, family]))));
    expect(one).toEqual(['142.250.74.106', 4]);
  });

  it.each([
    [[{ address: '127.0.0.1', family: 4 }]],
    [[{ address: '8.8.8.8', family: 4 }, { address: '10.0.0.5', family: 4 }]],
    [[{ address: '::ffff:169.254.169.254', family: 6 }]],
    [[]],
  ])('refuses a name that resolves to %j', async (addresses) => {
    await expect(lookupAll(answering(addresses))).rejects.toMatchObject({ code: 'ERR_PUSH_PRIVATE_ADDRESS' });
  });

  it('refuses, through the system resolver, a name that resolves to loopback', async () => {
    await expect(
      new Promise((resolve, reject) => publicLookup('localhost', { all: true }, (err, list) => (err ? reject(err) : resolve(list)))),
    ).rejects.toMatchObject({ code: 'ERR_PUSH_PRIVATE_ADDRESS' });
  });
});

describe('checkEndpointUrl with the development setting', () => {
  it('admits http on loopback with a port, but still no credentials or fragment', () => {
    expect(checkEndpointUrl('http://127.0.0.1:4000/push/1', { allowPrivate: true }).port).toBe('4000');
    expect(() => checkEndpointUrl('http://a:b@127.0.0.1:4000/push/1', { allowPrivate: true })).toThrow(/user name or password/);
    expect(() => checkEndpointUrl('http://127.0.0.1:4000/push/1#x', { allowPrivate: true })).toThrow(/fragment/);
    expect(() => checkEndpointUrl('file:///etc/passwd', { allowPrivate: true })).toThrow(/https URL/);
  });
});
