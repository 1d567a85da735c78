/**
 * The vault's value codec: JSON plus `Uint8Array`, so app records (conversations, messages,
 * labels, settings) that hold keys or digests round-trip without hand-written base64.
 *
 *   Uint8Array        -> {"$b": "<base64url, no padding>"}
 *   object key "$..." -> "$$..."   (escaped, so a stored {"$b": ...} of the app stays an object)
 *
 * Accepted: null, booleans, finite numbers, strings, arrays, plain objects and Uint8Array.
 * Anything else (undefined inside arrays, NaN, Date, Map, class instances, cycles) is refused
 * with `invalid_argument` rather than silently changed; `undefined` object properties are
 * dropped, as JSON does. Large binary payloads (attachment bytes) should use the vault's byte
 * API directly instead of this codec's base64.
 * @module
 */
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';
import { vaultFail } from './errors.ts';

export type VaultValue = null | boolean | number | string | Uint8Array | readonly VaultValue[] | { readonly [key: string]: VaultValue | undefined };

const BYTES = '$b';
const MAX_DEPTH = 64;

/** An own data property even for "__proto__" (plain assignment would set the prototype). */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function toTree(value: unknown, depth: number, seen: Set<object>): unknown {
  if (depth > MAX_DEPTH) throw vaultFail('invalid_argument', `value nests deeper than ${MAX_DEPTH}`);
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw vaultFail('invalid_argument', `value holds a non-finite number`);
    return value;
  }
  if (value instanceof Uint8Array) return { [BYTES]: toBase64url(value) };
  if (typeof value !== 'object') throw vaultFail('invalid_argument', `value holds a ${typeof value}`);
  if (seen.has(value)) throw vaultFail('invalid_argument', 'value holds a cycle');
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      return value.map((v) => {
        if (v === undefined) throw vaultFail('invalid_argument', 'value holds undefined in an array');
        return toTree(v, depth + 1, seen);
      });
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw vaultFail('invalid_argument', `value holds a ${proto?.constructor?.name ?? 'non-plain'} object`);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      define(out, k.startsWith('$') ? `$${k}` : k, toTree(v, depth + 1, seen));
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

function fromTree(node: unknown): VaultValue {
  if (node === null || typeof node !== 'object') return node as VaultValue;
  if (Array.isArray(node)) return node.map(fromTree);
  const entries = Object.entries(node);
  if (entries.length === 1 && entries[0]![0] === BYTES) {
    const b64 = entries[0]![1];
    if (typeof b64 !== 'string') throw vaultFail('malformed', 'bytes marker without a string');
    try {
      return fromBase64url(b64);
    } catch {
      throw vaultFail('malformed', 'bytes marker with invalid base64url');
    }
  }
  const out: Record<string, VaultValue> = {};
  for (const [k, v] of entries) {
    if (!k.startsWith('$')) define(out, k, fromTree(v));
    else if (k.startsWith('$$')) define(out, k.slice(1), fromTree(v));
    else throw vaultFail('malformed', `unknown marker key in value`);
  }
  return out;
}

/** Encode a value to UTF-8 bytes (the plaintext the vault encrypts). */
export function encodeValue(value: VaultValue): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(toTree(value, 0, new Set())));
}

/** Decode bytes from `encodeValue`. Malformed input is `malformed`, never a partial value. */
export function decodeValue<T extends VaultValue = VaultValue>(bytes: Uint8Array): T {
  let tree: unknown;
  try {
    tree = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw vaultFail('malformed', `value of ${bytes.length} bytes is not UTF-8 JSON`);
  }
  return fromTree(tree) as T;
}
