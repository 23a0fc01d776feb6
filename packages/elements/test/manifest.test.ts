// The Custom Elements Manifest (custom-elements.json, made from the sources' JSDoc by the build) is what editors,
// Storybook and docs read. It must match the code: every attribute the elements observe, every vg-* event the
// typed event map declares, every static part name in the templates, every --vg-* custom property the styles read.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string): string => readFileSync(join(dir, path), 'utf8');

interface Declaration {
  tagName?: string;
  attributes?: { name: string }[];
  events?: { name: string }[];
  cssParts?: { name: string }[];
  cssProperties?: { name: string }[];
}
const manifest = JSON.parse(read('custom-elements.json')) as { modules: { declarations?: Declaration[] }[] };
const declarations = manifest.modules.flatMap((m) => m.declarations ?? []).filter((d) => d.tagName);
const element = (tag: string): Declaration => {
  const found = declarations.find((d) => d.tagName === tag);
  if (!found) throw new Error(`custom-elements.json has no <${tag}>; run the build (custom-elements-manifest analyze)`);
  return found;
};
const names = (list: { name: string }[] | undefined): string[] => (list ?? []).map((x) => x.name).sort();

/** Attribute names of a `static override properties = { ... }` block: `attribute: 'x'`, else the lowercased name, unless `attribute: false`. */
function observedAttributes(source: string): string[] {
  const block = /static override properties = \{([\s\S]*?)\n {2}\};/.exec(source)?.[1];
  if (!block) throw new Error('no static properties block found');
  return [...block.matchAll(/^\s*(\w+): \{([^}]*)\}/gm)]
    .filter(([, , options]) => !/attribute: false/.test(options!))
    .map(([, name, options]) => /attribute: '([\w-]+)'/.exec(options!)?.[1] ?? name!.toLowerCase())
    .sort();
}

/** Static part names in templates: `part="a b"` (bindings such as `card-${status}` are left out). */
function staticParts(source: string): string[] {
  return [...new Set([...source.matchAll(/\bpart="([^"$]*)"/g)].flatMap(([, value]) => value!.split(/\s+/).filter((p) => p && !p.endsWith('-'))))].sort();
}

/**
 * The --vg-* custom properties that reach an element's rendering. The theme maps each public `--vg-x` to a private
 * `--_y` (`--_y: var(--vg-x, default)`), and private ones may build on each other (`--_r: calc(var(--_radius) ...)`);
 * a public property counts when the element's styles, or the theme's shared rules, read its private one (or read
 * it directly).
 */
function customProperties(styles: string, themeSource: string): string[] {
  const definition = /(--_[\w-]+):\s*([^;]+);/g;
  const defs = new Map<string, string>();
  // A private property may be set more than once (dark theme, reduced motion): it depends on all its values.
  for (const [, name, value] of themeSource.matchAll(definition)) defs.set(name!, `${defs.get(name!) ?? ''} ${value!}`);
  const rules = (styles + themeSource).replace(definition, ''); // what is left reads the variables
  const used = new Set<string>();
  const visit = (text: string): void => {
    for (const [, name] of text.matchAll(/var\((--[\w-]+)/g)) {
      if (used.has(name!)) continue;
      used.add(name!);
      const value = defs.get(name!);
      if (value) visit(value);
    }
  };
  visit(rules);
  return [...used].filter((name) => name.startsWith('--vg-')).sort();
}

const sources = {
  'video-gallery': { component: read('src/video-gallery/video-gallery.component.ts'), styles: read('src/video-gallery/video-gallery.styles.ts') },
  'generate-form': { component: read('src/generate-form/generate-form.component.ts'), styles: read('src/generate-form/generate-form.styles.ts') },
} as const;
const theme = read('src/shared/theme.styles.ts');

describe('custom-elements.json matches the code', () => {
  it('has both elements', () => {
    expect(declarations.map((d) => d.tagName).sort()).toEqual(['generate-form', 'video-gallery']);
  });

  it.each(Object.keys(sources) as (keyof typeof sources)[])('<%s>: every observed attribute, and no other', (tag) => {
    expect(names(element(tag).attributes)).toEqual(observedAttributes(sources[tag].component));
  });

  it('the two elements document exactly the vg-* events of the typed event map (HTMLElementEventMap)', () => {
    const events = read('src/shared/events.ts');
    const typed = [...(/interface VgEventDetails \{([\s\S]*?)\n\}/.exec(events)?.[1] ?? '').matchAll(/^\s*'(vg-[\w-]+)':/gm)].map(([, n]) => n!).sort();
    expect(typed.length).toBeGreaterThanOrEqual(10);
    const documented = [...new Set(declarations.flatMap((d) => names(d.events)))].sort();
    expect(documented).toEqual(typed);
  });

  it.each(Object.keys(sources) as (keyof typeof sources)[])('<%s>: every static part of its templates is documented', (tag) => {
    const parts = staticParts(sources[tag].component);
    expect(parts.length).toBeGreaterThan(5);
    const documented = names(element(tag).cssParts);
    expect(parts.filter((p) => !documented.includes(p))).toEqual([]);
  });

  it.each(Object.keys(sources) as (keyof typeof sources)[])('<%s>: every --vg-* custom property its styles read is documented', (tag) => {
    const used = customProperties(sources[tag].styles, theme);
    expect(used.length).toBeGreaterThan(10);
    const documented = names(element(tag).cssProperties);
    expect(used.filter((p) => !documented.includes(p))).toEqual([]);
  });
});
