/**
 * Byte helpers shared by every wire format: argument checks in noble's style (name the
 * argument, say expected vs got), big-endian integers and a bounds-checked
 * reader/writer (constant-time equality is public: bytes.ts). Internal: not part of the public API.
 * @module
 */
import { fail } from './errors.ts';

/** Throws `invalid_argument` unless `value` is a Uint8Array (of `length`, when given). */
export function abytes(value: unknown, length: number | undefined, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw fail('invalid_argument', `${name} must be a Uint8Array, got ${typeof value}`);
  }
  if (length !== undefined && value.length !== length) {
    throw fail('invalid_argument', `${name} must be ${length} bytes, got ${value.length}`);
  }
  return value;
}

/** Throws `invalid_argument` unless `value` is an integer in [0, 2^32). */
export function au32(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw fail('invalid_argument', `${name} must be a uint32, got ${String(value)}`);
  }
  return value;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function isAllZero(a: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc |= a[i]!;
  return acc === 0;
}

/** Best-effort wipe of a secret temporary. JS gives no guarantee; we still do not leave copies about. */
export function wipe(...arrays: (Uint8Array | undefined)[]): void {
  for (const a of arrays) a?.fill(0);
}

export const utf8 = {
  encode: (s: string): Uint8Array => new TextEncoder().encode(s),
  decode: (b: Uint8Array): string => new TextDecoder('utf-8', { fatal: true }).decode(b),
};

export function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

/** Append-only writer for the length-prefixed binary formats of PROTOCOL.md §2. */
export class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;

  u8(n: number): this {
    return this.raw(Uint8Array.of(n & 0xff));
  }
  u32(n: number): this {
    return this.raw(u32be(n));
  }
  /** Fixed-length bytes: the reader must know the length. */
  raw(b: Uint8Array): this {
    this.chunks.push(b);
    this.size += b.length;
    return this;
  }
  /** Variable-length bytes with a u32 length prefix. */
  bytes(b: Uint8Array): this {
    return this.u32(b.length).raw(b);
  }
  /** Optional fixed-length bytes: a presence byte, then the bytes. */
  optional(b: Uint8Array | undefined): this {
    return b === undefined ? this.u8(0) : this.u8(1).raw(b);
  }
  finish(): Uint8Array {
    const out = concat(...this.chunks);
    this.chunks = [out];
    return out;
  }
  get length(): number {
    return this.size;
  }
}

/** Bounds-checked reader: any overrun or leftover is `malformed`, never an out-of-range read. */
export class Reader {
  private offset = 0;
  private readonly view: DataView;

  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number): void {
    if (this.offset + n > this.buf.length) {
      throw fail('malformed', `${this.what}: truncated at byte ${this.offset}, needs ${n} more of ${this.buf.length}`);
    }
  }
  u8(): number {
    this.need(1);
    return this.buf[this.offset++]!;
  }
  u32(): number {
    this.need(4);
    const n = this.view.getUint32(this.offset, false);
    this.offset += 4;
    return n;
  }
  /** Copies, so callers may keep or wipe the result without aliasing the input. */
  raw(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  bytes(max: number): Uint8Array {
    const n = this.u32();
    if (n > max) throw fail('malformed', `${this.what}: field of ${n} bytes exceeds ${max}`);
    return this.raw(n);
  }
  optional(n: number): Uint8Array | undefined {
    const flag = this.u8();
    if (flag === 0) return undefined;
    if (flag !== 1) throw fail('malformed', `${this.what}: presence byte ${flag}`);
    return this.raw(n);
  }
  rest(): Uint8Array {
    const out = this.buf.slice(this.offset);
    this.offset = this.buf.length;
    return out;
  }
  get remaining(): number {
    return this.buf.length - this.offset;
  }
  /** Call after the last field: trailing bytes are an error, not ignored. */
  end(): void {
    if (this.offset !== this.buf.length) {
      throw fail('malformed', `${this.what}: ${this.buf.length - this.offset} trailing bytes`);
    }
  }
}
