/**
 * Prints one closing line, `N passed, N failed, N skipped`, after vitest's own report, so a
 * CI log states the count plainly. Skipped tests are listed by name: none should exist.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    const skipped: string[] = [];
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped.push(`${m.moduleId}: ${t.fullName}`);
      }
      // A file that failed to load has no tests; count it as a failure, not as nothing.
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) failed++;
    }
    for (const s of skipped) process.stdout.write(`skipped: ${s}\n`);
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped.length} skipped\n`);
  }
}
