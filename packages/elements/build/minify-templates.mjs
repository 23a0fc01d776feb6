// An esbuild plugin that squeezes the whitespace out of the static parts of `html` and `css` tagged
// templates in this package's sources (Lit does not minify them, and no bundler does). Used by tsup (so
// the published files are small) and by bench/bundle.bench.ts (so the benchmark measures the same thing).
import { readFile } from 'node:fs/promises';

/**
 * Squeezes one static chunk of a template.
 * - css: drops comments and the whitespace around punctuation, the last `;` of a block, the quotes of plain
 *   attribute selector values (`[theme='dark']` to `[theme=dark]`).
 * Whitespace at the very start and end of a template goes.
 * - html: drops whitespace with a line break next to a tag or between two expressions (`>` or `<`: never meaningful in these templates,
 *   whose elements sit in flex or grid boxes), collapses the rest to one space, and drops the quotes of plain
 *   static attribute values (`class="card"` to `class=card`), which HTML allows.
 */
export function squeeze(text, tag, first = false, last = false) {
  let out;
  if (tag === 'css') {
    out = text
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\s+/g, ' ')
      .replace(/\s*([{};,>~*/]|!important)\s*/g, '$1')
      .replace(/:\s+/g, ':')
      .replace(/;}/g, '}')
      .replace(/\[([\w-]+)='([\w-]+)'\]/g, '[$1=$2]');
  } else if (!first && !last && /^\s*\n\s*$/.test(text)) {
    // Only a line break between two expressions (child content, one per line): nothing.
    out = '';
  } else {
    out = text
      .replace(/>\s*\n\s*/g, '>')
      .replace(/\s*\n\s*</g, '<')
      .replace(/\s*\n\s*/g, ' ')
      .replace(/(\s[\w:.@?-]+)="([\w.-]+)"(?=[\s>])/g, '$1=$2');
  }
  if (first) out = out.trimStart();
  if (last) out = out.trimEnd();
  return out;
}

/**
 * Rewrites the `html` / `css` tagged templates of a source file. A small scanner: it follows strings,
 * comments, template literals and `${}` expressions (with nesting), so only the static text of the tagged
 * templates changes.
 */
export function minifyTemplates(source) {
  let out = '';
  let i = 0;
  const n = source.length;

  const scanCode = (stopAtBrace) => {
    let depth = 0;
    while (i < n) {
      const c = source[i];
      if (c === '/' && source[i + 1] === '/') {
        const end = source.indexOf('\n', i);
        const stop = end < 0 ? n : end;
        out += source.slice(i, stop);
        i = stop;
      } else if (c === '/' && source[i + 1] === '*') {
        const end = source.indexOf('*/', i + 2);
        const stop = end < 0 ? n : end + 2;
        out += source.slice(i, stop);
        i = stop;
      } else if (c === '"' || c === "'") {
        let j = i + 1;
        while (j < n && source[j] !== c) j += source[j] === '\\' ? 2 : 1;
        out += source.slice(i, j + 1);
        i = j + 1;
      } else if (c === '`') {
        const tag = /(?:^|[^\w$.])(html|css)\s*$/.exec(source.slice(Math.max(0, i - 12), i))?.[1];
        scanTemplate(tag);
      } else if (c === '{') {
        depth++;
        out += c;
        i++;
      } else if (c === '}') {
        if (stopAtBrace && depth === 0) return;
        depth--;
        out += c;
        i++;
      } else {
        out += c;
        i++;
      }
    }
  };

  const scanTemplate = (tag) => {
    out += '`';
    i++;
    let chunk = '';
    let first = true;
    const flush = (last) => {
      out += tag ? squeeze(chunk, tag, first, last) : chunk;
      chunk = '';
      first = false;
    };
    while (i < n) {
      const c = source[i];
      if (c === '\\') {
        chunk += source.slice(i, i + 2);
        i += 2;
      } else if (c === '`') {
        flush(true);
        out += '`';
        i++;
        return;
      } else if (c === '$' && source[i + 1] === '{') {
        flush(false);
        out += '${';
        i += 2;
        scanCode(true);
        out += '}';
        i++;
      } else {
        chunk += c;
        i++;
      }
    }
    flush(true);
  };

  scanCode(false);
  return out;
}

/** The esbuild plugin: applies `minifyTemplates` to `.ts` files under `filter` (not tests or stories). */
export function minifyTemplatesPlugin(filter = /packages[\\/]elements[\\/]src[\\/].*\.ts$/) {
  return {
    name: 'minify-lit-templates',
    setup(build) {
      build.onLoad({ filter }, async (args) => {
        if (/\.(test|stories)\.ts$/.test(args.path)) return undefined;
        const source = await readFile(args.path, 'utf8');
        return { contents: minifyTemplates(source), loader: 'ts' };
      });
    },
  };
}
