/**
 * Which push endpoints the relay will call (issue 11, "Notifications without content";
 * docs/THREAT-MODEL.md, "Push notifications"). A push subscription's endpoint is a URL the
 * device hands in, and the relay later makes a request to it: without rules, anyone with an
 * account could make the relay call its own internal services (server-side request forgery).
 * So an endpoint must be:
 *
 * - `https:`, with no user name or password, on the default port (443), at most
 *   `MAX_PUSH_ENDPOINT_LEN` characters, no fragment;
 * - on a public host: a DNS name with at least one dot that is not `localhost` or under a
 *   special-use suffix (`.localhost`, `.local`, `.internal`, `.home.arpa`, ...), or a literal
 *   address that is public unicast (`isPublicAddress`). The WHATWG URL parser turns the numeric
 *   forms of IPv4 (`2130706433`, `0x7f.1`, `017700000001`, `127.1`) into dotted quads before
 *   this check, and IPv4-mapped IPv6 (`[::ffff:127.0.0.1]`) is judged by its IPv4 address;
 * - and at send time, every address the name resolves to must be public too, checked in the
 *   connection's own `lookup` (`publicLookup`), so the address checked is the address
 *   connected to (no second resolution a DNS rebinding could change).
 *
 * `allowPrivate` (PUSH_ALLOW_PRIVATE_ENDPOINTS=1, for the tests' push receiver on loopback)
 * lifts the scheme, port and address rules; credentials, fragments and the length stay refused.
 * @module
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { MAX_PUSH_ENDPOINT_LEN } from '../limits.ts';

/** An endpoint refused by the rules above; the message is safe to show (it never quotes the URL). */
export class PushEndpointError extends Error {
  override readonly name = 'PushEndpointError';
}

/**
 * IPv4 and IPv6 ranges that are not public unicast (IANA special-purpose address registries,
 * RFC 6890 and its updates): each is either not routable on the internet or reaches something
 * other than a push service. IPv6 is further limited to global unicast, 2000::/3.
 */
const NOT_PUBLIC_V4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], // "this network", the unspecified address
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // shared address space, carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata services live here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
];
const NOT_PUBLIC_V6: readonly (readonly [string, number])[] = [
  ['64:ff9b::', 96], // NAT64: reaches an IPv4 address through a translator
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, ...)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: reaches an IPv4 address
  ['3fff::', 20], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const notPublic = new BlockList();
for (const [net, prefix] of NOT_PUBLIC_V4) notPublic.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of NOT_PUBLIC_V6) notPublic.addSubnet(net, prefix, 'ipv6');
const globalUnicastV6 = new BlockList();
globalUnicastV6.addSubnet('2000::', 3, 'ipv6');
const mappedV4 = new BlockList();
mappedV4.addSubnet('::ffff:0:0', 96, 'ipv6');

/**
 * True when `address` (an IPv4 or IPv6 literal, no brackets) is public unicast. An IPv4-mapped
 * IPv6 address is judged by its IPv4 address (node's BlockList applies the IPv4 rules to it).
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !notPublic.check(address, 'ipv4');
  if (family !== 6) return false;
  if (mappedV4.check(address, 'ipv6')) return !notPublic.check(address, 'ipv6');
  return globalUnicastV6.check(address, 'ipv6') && !notPublic.check(address, 'ipv6');
}

/** Names that never lead to a public host (RFC 6761, RFC 6762, RFC 8375, ICANN's .internal). */
const SPECIAL_SUFFIXES = ['.localhost', '.local', '.internal', '.home.arpa', '.localdomain', '.lan', '.intranet', '.corp', '.invalid', '.test', '.example', '.onion'];

/** True when a DNS name (lower case, no trailing dot) can name a public host. */
function isPublicName(name: string): boolean {
  if (name === 'localhost' || !name.includes('.')) return false;
  return !SPECIAL_SUFFIXES.some((suffix) => name.endsWith(suffix) || name === suffix.slice(1));
}

/** The URL's host as a bare address or name: brackets off an IPv6 literal, a trailing dot off a name. */
export function bareHost(url: URL): string {
  const host = url.hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) return host.slice(1, -1);
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

export interface EndpointRules {
  /** Development only (PUSH_ALLOW_PRIVATE_ENDPOINTS=1): allow http, any port and non-public hosts. */
  readonly allowPrivate?: boolean;
}

/**
 * The endpoint as a URL when it passes the rules in the module doc; otherwise throws
 * `PushEndpointError` saying which rule it broke.
 */
export function checkEndpointUrl(text: string, rules: EndpointRules = {}): URL {
  if (text.length > MAX_PUSH_ENDPOINT_LEN) throw new PushEndpointError(`Push endpoint is longer than ${MAX_PUSH_ENDPOINT_LEN} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PushEndpointError('Push endpoint is not a URL');
  }
  if (url.username !== '' || url.password !== '') throw new PushEndpointError('Push endpoint must not carry a user name or password');
  if (url.hash !== '' || text.includes('#')) throw new PushEndpointError('Push endpoint must not have a fragment');
  if (rules.allowPrivate) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new PushEndpointError('Push endpoint must be an https URL');
    return url;
  }
  if (url.protocol !== 'https:') throw new PushEndpointError('Push endpoint must be an https URL');
  if (url.port !== '') throw new PushEndpointError('Push endpoint must use the default https port');
  const host = bareHost(url);
  if (isIP(host) !== 0) {
    if (!isPublicAddress(host)) throw new PushEndpointError('Push endpoint must be on a public host, not a loopback, private, link-local or reserved address');
  } else if (!isPublicName(host)) {
    throw new PushEndpointError('Push endpoint must be on a public host name');
  }
  return url;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** The error a refused resolution hands to the connection: the request fails before it connects. */
const refusedAddress = (): NodeJS.ErrnoException =>
  Object.assign(new Error('Push endpoint resolves to a non-public address'), { code: 'ERR_PUSH_PRIVATE_ADDRESS' });

type Resolve = (hostname: string, options: LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/**
 * A `lookup` for `net.connect` / `http.request`: resolves like `dns.lookup` (or `resolve`, for
 * tests), then refuses the connection unless every address the name has is public (one private
 * address among public ones is refused too: the connection may pick any of them). Handles both
 * call forms Node uses (`all: true` with autoSelectFamily, and a single address).
 */
export function publicLookupWith(resolve: Resolve) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (err, list) => {
      if (err) return callback(err, []);
      if (list.length === 0 || !list.every((a) => isPublicAddress(a.address))) return callback(refusedAddress(), []);
      if ((options as LookupAllOptions).all) return callback(null, list);
      const first = list[0]!;
      return callback(null, first.address, first.family);
    });
  };
}

/** `publicLookupWith` over the system resolver: what the push sender connects through. */
export const publicLookup = publicLookupWith((hostname, options, callback) => dnsLookup(hostname, options, callback));
