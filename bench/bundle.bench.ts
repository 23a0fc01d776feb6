/**
 * Bundle size benchmark: `pnpm bench bundle`.
 *
 * Bundles `@video-gallery/elements` for the browser with esbuild (minified, ES2022, ESM) with everything it
 * imports: lit, @lit/context and the browser client `@video-gallery/core/client` (RemoteGallery). The elements'
 * html / css templates are squeezed by the same esbuild plugin tsup uses for the published build. Prints raw,
 * gzip (level 9) and brotli sizes, the share of each input, and the same figures, measured in the same run
 * the same way, for:
 *   - the baseline: lit alone (LitElement + html + css), the floor of any Lit element;
 *   - media-chrome (a web-component video player UI) and @fal-ai/client (a hosted AI-video API client), root
 *     devDependencies of this workspace kept only for this comparison.
 * Target: gzip ≤ 25 KiB for the whole package (both elements).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type * as Esbuild from 'esbuild';
import { minifyTemplatesPlugin } from '../packages/elements/build/minify-templates.mjs';

const TARGET_GZIP = 25 * 1024;
const root = new URL('..', import.meta.url).pathname;
const elementsDir = join(root, 'packages/elements');
// esbuild comes with tsup (root devDependency); lit and friends resolve from the elements package.
const esbuild = createRequire(createRequire(join(root, 'package.json')).resolve('tsup'))('esbuild') as typeof Esbuild;
const fromElements = createRequire(join(elementsDir, 'package.json'));

interface Measure {
  name: string;
  raw: number;
  gzip: number;
  brotli: number;
  inputs: { path: string; bytes: number }[];
}

async function measure(name: string, code: string, resolveDir: string): Promise<Measure> {
  const result = await esbuild.build({
    stdin: { contents: code, resolveDir, loader: 'ts', sourcefile: `${name}.ts` },
    bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, metafile: true,
    conditions: ['@video-gallery/source'], logLevel: 'error', legalComments: 'none',
    plugins: [minifyTemplatesPlugin()],
  });
  const bytes = result.outputFiles[0]!.contents;
  const output = Object.values(result.metafile.outputs)[0]!;
  const inputs = Object.entries(output.inputs).map(([path, info]) => ({ path, bytes: info.bytesInOutput })).filter((i) => i.bytes > 0);
  return {
    name, raw: bytes.byteLength, gzip: gzipSync(bytes, { level: 9 }).byteLength,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).byteLength, inputs,
  };
}

function installed(spec: string): string | null {
  // Not every package exports ./package.json, so look for its folder the way Node's resolver would.
  for (const dir of [elementsDir, root]) {
    const candidate = join(dir, 'node_modules', spec);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
  }
  return null;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const row = (cells: string[], widths: number[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');

function group(path: string): string {
  if (path.includes('packages/elements/src')) return '@video-gallery/elements (own code)';
  if (path.includes('packages/core/src')) return '@video-gallery/core/client (RemoteGallery)';
  if (/node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?@lit\/context/.test(path)) return '@lit/context';
  if (/lit-html|lit-element|@lit\/reactive-element|node_modules\/lit\//.test(path)) return 'lit';
  return path.replace(/^.*node_modules\//, '');
}

async function main(): Promise<void> {
  console.log('bundle size: esbuild, minified, ES2022, platform browser, gzip -9 / brotli -11\n');
  const results: Measure[] = [];
  const elements = await measure('@video-gallery/elements', `export * from './src/index.ts';`, elementsDir);
  results.push(elements);
  results.push(await measure('  ./video-gallery only', `export * from './src/video-gallery.ts';`, elementsDir));
  results.push(await measure('  ./generate-form only', `export * from './src/generate-form.ts';`, elementsDir));
  // Cross-check: the published self-contained file (tsup, same template squeezing), when it has been built.
  const standalone = join(elementsDir, 'dist/standalone.js');
  if (existsSync(standalone)) {
    const bytes = readFileSync(standalone);
    results.push({
      name: '  dist/standalone.js (published, tsup)', raw: bytes.byteLength, gzip: gzipSync(bytes, { level: 9 }).byteLength,
      brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).byteLength, inputs: [],
    });
  }

  const baseline = await measure('baseline: lit (LitElement, html, css)', `export { LitElement, html, css } from 'lit';`, elementsDir);
  results.push(baseline);
  results.push(await measure('@video-gallery/core/client alone', `export { RemoteGallery } from '@video-gallery/core/client';`, elementsDir));

  const others: [string, string, string][] = [
    ['media-chrome', 'media-chrome', `export * from 'media-chrome';`],
    ['@fal-ai/client', '@fal-ai/client', `export * from '@fal-ai/client';`],
  ];
  const missing: string[] = [];
  for (const [name, spec, code] of others) {
    const dir = installed(spec);
    if (!dir) {
      missing.push(name);
      continue;
    }
    const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    results.push(await measure(`${name}@${version}`, code, elementsDir));
  }

  const widths = [44, 12, 12, 12, 14];
  console.log(row(['bundle', 'raw', 'gzip', 'brotli', 'gzip / lit'], widths));
  for (const r of results) console.log(row([r.name, kib(r.raw), kib(r.gzip), kib(r.brotli), `${(r.gzip / baseline.gzip).toFixed(2)}×`], widths));
  for (const name of missing) console.log(row([name, 'not installed', '', '', ''], widths));

  console.log('\nwhat @video-gallery/elements is made of (minified bytes in the bundle, before compression):');
  const groups = new Map<string, number>();
  for (const input of elements.inputs) groups.set(group(input.path), (groups.get(group(input.path)) ?? 0) + input.bytes);
  for (const [name, bytes] of [...groups].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${name.padEnd(46)} ${kib(bytes).padStart(10)}  ${((bytes / elements.raw) * 100).toFixed(0).padStart(3)}%`);
  }
  const own = elements.inputs.filter((i) => i.path.includes('packages/elements/src')).sort((a, b) => b.bytes - a.bytes);
  console.log('\n  own code by file:');
  for (const input of own) console.log(`    ${input.path.replace(/^.*packages\/elements\/src\//, '').padEnd(44)} ${kib(input.bytes).padStart(10)}`);

  const pass = elements.gzip <= TARGET_GZIP;
  console.log(`\ntarget: @video-gallery/elements ≤ ${kib(TARGET_GZIP)} gzip (both elements, lit and the client included)`);
  console.log(`result: ${kib(elements.gzip)} gzip (${elements.gzip} bytes) → ${pass ? 'PASS' : 'FAIL'}`);
  if (!pass) process.exitCode = 1;
}

await main();
