import { css } from 'lit';

const dark = css`
  --_bg: var(--vg-color-background, #18181b);
  --_surface: var(--vg-color-surface, #27272a);
  --_text: var(--vg-color-text, #f4f4f5);
  --_muted: var(--vg-color-muted, #a1a1aa);
  --_border: var(--vg-color-border, #52525b);
  --_accent: var(--vg-color-accent, #a5b4fc);
  --_on-accent: var(--vg-color-on-accent, #18181b);
  --_danger: var(--vg-color-danger, #fca5a5);
  --_success: var(--vg-color-success, #86efac);
  color-scheme: dark;
`;

/**
 * Design tokens and shared controls of both elements. Public knobs are `--vg-*` custom properties; each
 * maps to a private `--_*` with light and dark defaults (`prefers-color-scheme`, or the `theme` attribute).
 */
export const themeStyles = css`
  :host {
    --_bg: var(--vg-color-background, #fff);
    --_surface: var(--vg-color-surface, #f4f4f5);
    --_text: var(--vg-color-text, #18181b);
    --_muted: var(--vg-color-muted, #52525b);
    --_border: var(--vg-color-border, #a1a1aa);
    --_accent: var(--vg-color-accent, #4338ca);
    --_on-accent: var(--vg-color-on-accent, #fff);
    --_danger: var(--vg-color-danger, #b91c1c);
    --_success: var(--vg-color-success, #15803d);
    --_radius: var(--vg-radius, 10px);
    --_r: calc(var(--_radius) * .6);
    --_gap: var(--vg-gap, 16px);
    --_t: var(--vg-transition-duration, 150ms);
    color-scheme: light;
    display: block;
    box-sizing: border-box;
    font: var(--vg-font-size, 14px) / 1.4 var(--vg-font-family, system-ui, sans-serif);
    color: var(--_text);
  }
  @media (prefers-color-scheme: dark) {
    :host(:not([theme='light'])) { ${dark} }
  }
  :host([theme='dark']) { ${dark} }
  @media (prefers-reduced-motion: reduce) {
    :host { --_t: 0s; }
  }
  :host([hidden]) { display: none; }
  *, *::before, *::after { box-sizing: inherit; }
  button, input, select, textarea { font: inherit; color: inherit; }
  button, .btn, input, select, textarea {
    min-height: 32px; padding: 4px 12px; border: 1px solid var(--_border); border-radius: var(--_r); background: var(--_bg);
  }
  button, .btn {
    display: inline-flex; align-items: center; justify-content: center; gap: 4px;
    cursor: pointer; text-decoration: none; transition: background var(--_t);
  }
  button:hover:not(:disabled), .btn:hover { background: var(--_surface); }
  button:disabled { opacity: .55; cursor: not-allowed; }
  /* (with the form's selected mode and focused controls, which look the same) */
  .primary, .modes input:checked + span { background: var(--_accent); border-color: var(--_accent); color: var(--_on-accent); }
  .primary:hover:not(:disabled) { background: var(--_accent); filter: brightness(1.1); }
  .danger { color: var(--_danger); border-color: currentColor; }
  input, select, textarea { padding: 4px 8px; max-width: 100%; }
  :focus-visible, .modes input:focus-visible + span, .dropzone .btn:focus-within { outline: 3px solid var(--_accent); outline-offset: 2px; }
  [aria-invalid='true'] { border-color: var(--_danger); }
  .sr {
    position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
    clip: rect(0 0 0 0); white-space: nowrap; border: 0;
  }
  .err { color: var(--_danger); margin: 4px 0 0; }
  .muted { color: var(--_muted); }
`;
