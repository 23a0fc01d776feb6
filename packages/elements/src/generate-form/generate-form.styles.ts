import { css } from 'lit';
import { themeStyles } from '../shared/theme.styles.js';

/** Styles of `<generate-form>`. */
export const formStyles = [themeStyles, css`
  .form, .state { display: grid; gap: 12px; padding: 16px; border-radius: var(--_radius); background: var(--_surface); }
  .row { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-end; }
  .field { display: grid; gap: 4px; min-width: 0; flex: 1 1 140px; }
  .field .err, .state p { margin: 0; font-size: .9em; }
  label { font-weight: 600; font-size: .9em; }
  textarea { width: 100%; resize: vertical; }
  .hint { display: flex; justify-content: flex-end; font-size: .8em; }
  .modes { display: inline-flex; gap: 0; margin: 0; padding: 0; border: 0; }
  .modes label { font-weight: 400; }
  .modes input { position: absolute; opacity: 0; }
  .modes span { display: inline-block; padding: 4px 14px; border: 1px solid var(--_border); background: var(--_bg); cursor: pointer; }
  .modes label:first-of-type span { border-radius: var(--_r) 0 0 var(--_r); }
  .modes label:last-of-type span { border-radius: 0 var(--_r) var(--_r) 0; }
  .dropzone {
    display: flex; flex-wrap: wrap; gap: 8px; align-items: center; justify-content: center; min-height: 96px; padding: 12px;
    border: 2px dashed var(--_border); border-radius: var(--_radius); background: var(--_bg); text-align: center;
  }
  .dropzone.dragging { border-color: var(--_accent); }
  .dropzone .btn { font-weight: 400; }
  .preview { max-width: 160px; max-height: 120px; border-radius: var(--_r); object-fit: contain; }
  .more summary { cursor: pointer; font-size: .9em; }
  .more[open] { display: grid; gap: 12px; }
  .check { display: inline-flex; gap: 6px; align-items: center; min-height: 32px; font-weight: 400; }
  .footer { display: flex; gap: 12px; align-items: center; justify-content: flex-end; }
  .footer [part='cost'] { margin-right: auto; }
  [hidden] { display: none !important; }
`];
