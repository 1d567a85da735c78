/**
 * Side-by-side benchmark harness. Every result is measured against an anchor in the same
 * process, interleaved by rounds, so that machine noise (2 shared cores) hits both sides:
 * round i runs ours then the anchor when i is even, the anchor then ours when i is odd (ABBA),
 * so neither side always runs right after the other's garbage.
 *
 * Reported: the median over rounds of each side's value, and the median of the per-round
 * ratios `value / anchorValue` (a per-round ratio cancels slow phases that hit both sides).
 * Only JSON lines go to stdout; progress goes to stderr.
 * @module
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** One benchmark result line, the format `npm run bench` promises (issue 3, "Benchmarks"). */
export interface BenchLine {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
  readonly anchor: string;
  readonly anchorValue: number;
  readonly ratio: number;
  /** The lowest and the highest of our rounds (same unit as `value`): how noisy the median is. */
  readonly spread: readonly [number, number];
}

/** One measured side: runs its workload once and returns the value in the line's unit. */
export type Measure = (round: number) => Promise<number>;

export interface Comparison {
  readonly name: string;
  readonly unit: string;
  readonly anchor: string;
  readonly ours: Measure;
  readonly theirs: Measure;
  readonly rounds: number;
  /** Untimed runs of each side first (JIT, caches, lazy native init). */
  readonly warmup?: number;
}

/**
 * `gc()` without `--expose-gc` on the command line (the bench script is plain `tsx`): the
 * flag can be set at run time and a fresh context then sees the function.
 */
export const gc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  const f = runInNewContext('gc') as (() => void) | undefined;
  return typeof f === 'function' ? f : () => {};
})();

export function log(message: string): void {
  process.stderr.write(message + '\n');
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Three significant digits: enough for noisy medians, short in the table. */
export function round3(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(3));
}

/** Run `ops` operations and return operations per second. */
export async function opsPerSecond(ops: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) await op(i);
  return ops / ((performance.now() - t0) / 1000);
}

export async function compare(c: Comparison): Promise<BenchLine> {
  for (let i = 0; i < (c.warmup ?? 1); i++) {
    await c.ours(-1 - i);
    await c.theirs(-1 - i);
  }
  const ours: number[] = [];
  const theirs: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < c.rounds; r++) {
    let a: number;
    let b: number;
    gc();
    if (r % 2 === 0) {
      a = await c.ours(r);
      gc();
      b = await c.theirs(r);
    } else {
      b = await c.theirs(r);
      gc();
      a = await c.ours(r);
    }
    ours.push(a);
    theirs.push(b);
    ratios.push(a / b);
    log(`  ${c.name} round ${r + 1}/${c.rounds}: ${fmt(a)} vs ${fmt(b)} ${c.unit} (x${fmt(a / b)})`);
  }
  const line: BenchLine = {
    name: c.name,
    unit: c.unit,
    value: round3(median(ours)),
    anchor: c.anchor,
    anchorValue: round3(median(theirs)),
    ratio: round3(median(ratios)),
    spread: [round3(Math.min(...ours)), round3(Math.max(...ours))],
  };
  process.stdout.write(JSON.stringify(line) + '\n');
  return line;
}

function fmt(x: number): string {
  return String(round3(x));
}

/** The closing human summary, on stderr. */
export function printTable(lines: readonly BenchLine[], notes: Readonly<Record<string, string>> = {}): void {
  const rows = [
    ['benchmark', 'ours', 'anchor', 'anchor value', 'ratio', 'unit'],
    ...lines.map((l) => [l.name, String(l.value), l.anchor, String(l.anchorValue), `x${l.ratio}`, l.unit]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  log('');
  for (const [i, r] of rows.entries()) {
    log(r.map((cell, j) => (j === 0 || j === 2 || j === 5 ? cell.padEnd(widths[j]!) : cell.padStart(widths[j]!))).join('  '));
    if (i === 0) log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  for (const [name, note] of Object.entries(notes)) log(`  ${name}: ${note}`);
}
