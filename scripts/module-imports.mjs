// What an ES module file imports: the specifiers of its static imports and re-exports and of its dynamic
// `import('...')` calls. Works on minified bundles: a static import must start a statement, so prose that happens
// to contain "from '...'" in a string does not count.

/**
 * @param {string} code
 * @returns {string[]}
 */
export function importSpecifiers(code) {
  const pattern = /(?:^|[;}\n])\s*(?:import|export)\s*(?:[\w*{][^;"'()]*?\bfrom\s*)?["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;
  return [...code.matchAll(pattern)].map((m) => m[1] ?? m[2]);
}
