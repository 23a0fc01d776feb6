// The accessibility audit every test here runs with axe-core: the rules, and how violations are reported. Shared by
// the elements' browser tests (vitest browser mode) and the examples' Chromium tests (playwright-core).

/**
 * WCAG 2.1 A and AA rules (contrast included), violations only. `preload` is off: axe would otherwise try to fetch
 * the page's style sheets and wait for a timeout.
 */
export const axeOptions = { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'], preload: false };

/**
 * One readable line per failing node of an `axe.run` result.
 * @param {{ violations: { id: string; impact?: string | null; nodes: { target: unknown; failureSummary?: string }[] }[] }} results
 * @returns {string[]}
 */
export function describeViolations(results) {
  return results.violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${(n.failureSummary ?? '').replace(/\s+/g, ' ')} at ${JSON.stringify(n.target)}`));
}
