// The template squeezer of the published build (build/minify-templates.mjs). Browser tests and stories run the
// unsqueezed sources, so what it may and may not change is checked here.
import { describe, expect, it } from 'vitest';
import { minifyTemplates, squeeze } from '../../build/minify-templates.mjs';

describe('minifyTemplates', () => {
  it('drops line-break whitespace next to tags and between expressions, keeps it between attributes and in text', () => {
    const source = [
      'const t = html`',
      '  <div part="a b" class="card" data-x=${x}',
      '      role="row" aria-label=${label}>',
      '    ${one}',
      '    ${two}',
      '    <p>${a} · ${b}</p>',
      '  </div>',
      '`;',
    ].join('\n');
    expect(minifyTemplates(source)).toBe('const t = html`<div part="a b" class=card data-x=${x} role=row aria-label=${label}>${one}${two}<p>${a} · ${b}</p></div>`;');
  });

  it('keeps quotes around empty values, values with spaces or bindings, and before a slash', () => {
    expect(squeeze('<img alt="" class="a b" title="x/y" id="', 'html')).toBe('<img alt="" class="a b" title="x/y" id="');
    expect(squeeze('-error" hidden>', 'html')).toBe('-error" hidden>');
  });

  it('squeezes css: comments, whitespace around punctuation, last semicolons, plain attribute selector quotes', () => {
    const css = `
      /* theme */
      :host([theme='dark']) { color: red ; }
      .a > .b, .c ~ .d { width: calc(var(--w) * .6) !important; font: 14px / 1.4 serif; }
      .e + .f { margin: 0 auto; }
    `;
    expect(squeeze(css, 'css', true, true)).toBe(':host([theme=dark]){color:red}.a>.b,.c~.d{width:calc(var(--w)*.6)!important;font:14px/1.4 serif}.e + .f{margin:0 auto}');
  });

  it('leaves other template literals and strings alone', () => {
    const source = "const s = `  a\n  b  `; const q = 'html`  x  `';";
    expect(minifyTemplates(source)).toBe(source);
  });
});
