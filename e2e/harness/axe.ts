/**
 * Accessibility checks with axe-core (https://github.com/dequelabs/axe-core) inside the page,
 * without weakening its Content Security Policy: axe's source goes in through page.evaluate,
 * i.e. CDP Runtime.evaluate, which CSP does not govern. No `bypassCSP`, no injected <script>
 * tag: the page keeps exactly the policy the relay sent, so the same run still catches a CSP
 * violation by the app.
 * @module
 */
import axe from 'axe-core';
import type { Page } from 'playwright-core';

export type Impact = 'minor' | 'moderate' | 'serious' | 'critical';

export interface AxeViolation {
  /** axe's rule id, e.g. `color-contrast`, `label`, `image-alt`. */
  readonly id: string;
  readonly impact: Impact | null;
  readonly help: string;
  readonly helpUrl: string;
  /** One entry per offending element: its CSS selector path and axe's summary of what to fix. */
  readonly nodes: readonly { readonly target: string; readonly failureSummary: string }[];
}

export interface AxeOptions {
  /** Only this part of the page (a CSS selector); default the whole document. */
  readonly include?: string;
  /** axe tags to run; default WCAG 2.0/2.1/2.2 A and AA plus axe's best practices. */
  readonly tags?: readonly string[];
}

const DEFAULT_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/** Run axe in the page's main frame; returns every violation (all impacts). */
export async function runAxe(page: Page, options: AxeOptions = {}): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe === 'object');
  if (!loaded) {
    // A script string, evaluated as is; axe defines window.axe.
    await page.evaluate(`${axe.source}\n;void 0`);
  }
  const tags = [...(options.tags ?? DEFAULT_TAGS)];
  return page.evaluate(
    async ({ include, tags }) => {
      const a = (globalThis as unknown as { axe: typeof import('axe-core') }).axe;
      const result = await a.run(include === undefined ? document : { include: [include] }, {
        runOnly: { type: 'tag', values: tags },
        resultTypes: ['violations'],
      });
      return result.violations.map((v) => ({
        id: v.id,
        impact: (v.impact ?? null) as Impact | null,
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({ target: n.target.map(String).join(' '), failureSummary: n.failureSummary ?? '' })),
      }));
    },
    { include: options.include, tags },
  );
}

/** The violations at `serious` or `critical` impact. */
export const seriousOrCritical = (violations: readonly AxeViolation[]): AxeViolation[] =>
  violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');

/** Readable list: one line per rule, then one per offending element. */
export function formatViolations(violations: readonly AxeViolation[]): string {
  return violations
    .map(
      (v) =>
        `${v.id} (${v.impact ?? 'no impact'}): ${v.help} ${v.helpUrl}\n` +
        v.nodes.map((n) => `    ${n.target}: ${n.failureSummary.replace(/\s+/g, ' ').trim()}`).join('\n'),
    )
    .join('\n');
}

/**
 * Fails (listing rule ids, targets and what to fix) when axe finds any serious or critical
 * violation; returns all violations, including minor and moderate ones, for the caller to log.
 */
export async function expectAccessible(page: Page, label: string, options: AxeOptions = {}): Promise<AxeViolation[]> {
  const all = await runAxe(page, options);
  const bad = seriousOrCritical(all);
  if (bad.length > 0) {
    throw new Error(`axe: ${bad.length} serious/critical violation(s) on ${label} (${page.url()}):\n${formatViolations(bad)}`);
  }
  return all;
}
