import { css } from 'lit';
import { themeStyles } from '../shared/theme.styles.js';

/** Styles of `<video-gallery>`: a container-query grid (1 column narrow, 2–3 medium, 4+ wide) of fixed-height rows. */
export const galleryStyles = [themeStyles, css`
  :host { container-type: inline-size; max-height: var(--vg-max-height, none); overflow-y: auto; padding: 4px; }
  .toolbar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: 12px; }
  .toolbar input { flex: 1 1 180px; }
  .toolbar [aria-pressed='true'] { border-color: var(--_accent); }
  .count { margin-left: auto; font-size: .9em; }
  .grid, .state { --_cols: var(--vg-columns, 1); }
  .grid { position: relative; }
  @container (min-width: 520px) { .grid, .state { --_cols: var(--vg-columns, 2); } }
  @container (min-width: 800px) { .grid, .state { --_cols: var(--vg-columns, 3); } }
  @container (min-width: 1100px) { .grid, .state { --_cols: var(--vg-columns, 4); } }
  @container (min-width: 1500px) { .grid, .state { --_cols: var(--vg-columns, 5); } }
  .row { position: absolute; left: 0; right: 0; display: grid; grid-template-columns: repeat(var(--_cols), minmax(0, 1fr)); gap: var(--_gap); }
  .card {
    display: flex; flex-direction: column; min-width: 0; overflow: hidden; cursor: pointer;
    background: var(--_surface); border-radius: var(--_radius); transition: box-shadow var(--_t);
  }
  .card:hover { box-shadow: 0 4px 16px rgb(0 0 0 / .18); }
  .media { position: relative; aspect-ratio: 16 / 9; overflow: hidden; background: linear-gradient(135deg, color-mix(in srgb, var(--_accent) 45%, #000), #111); }
  .media img, .preview { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: cover; }
  .placeholder { position: absolute; inset: 0; display: grid; place-items: center; color: #fffc; font-size: .85em; }
  .badge, .duration {
    position: absolute; top: 8px; left: 8px; padding: 1px 8px; border-radius: 99px; font-size: .75em; font-weight: 600;
    background: rgb(0 0 0 / .7); color: #fff;
  }
  .duration { top: auto; left: auto; right: 8px; bottom: 10px; }
  [data-status='ready'] .badge, .badge.static { background: var(--_success); color: var(--_bg); }
  [data-status='failed'] .badge { background: var(--_danger); color: var(--_bg); }
  .badge.static { position: static; }
  .progress { position: absolute; left: 0; right: 0; bottom: 0; height: 4px; overflow: hidden; background: rgb(255 255 255 / .25); }
  .progress span { display: block; height: 100%; background: var(--_accent); transition: width var(--_t); }
  .progress .indeterminate { width: 40% !important; animation: vg-slide 1.4s ease-in-out infinite; }
  @keyframes vg-slide { from { transform: translateX(-100%); } to { transform: translateX(250%); } }
  @media (prefers-reduced-motion: reduce) { .progress .indeterminate { animation: none; width: 100% !important; opacity: .5; } }
  .body { position: relative; display: flex; flex-direction: column; gap: 2px; height: var(--vg-card-body-height, 7.5em); padding: 8px 10px; overflow: hidden; }
  .prompt { margin: 0; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; overflow-wrap: anywhere; }
  .meta, .card .err { margin: 0; font-size: .85em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .actions { display: flex; gap: 6px; justify-content: flex-end; align-items: center; margin-top: auto; }
  .favorite { border-color: transparent; background: none; font-size: 1.2em; color: var(--_accent); padding: 0 8px; }
  .state { display: grid; place-items: center; gap: 12px; padding: 48px 16px; text-align: center; color: var(--_muted); }
  .state p { margin: 0; }
  .spinner { width: 28px; height: 28px; border: 3px solid var(--_border); border-top-color: var(--_accent); border-radius: 50%; animation: vg-spin 1s linear infinite; }
  @keyframes vg-spin { to { transform: rotate(1turn); } }
  @media (prefers-reduced-motion: reduce) { .spinner { animation-duration: 4s; } }
  .footer { display: flex; justify-content: center; padding: 16px; }
  .end { height: 1px; }
  .dialog {
    width: min(960px, 94vw); max-height: 94vh; padding: 16px; border: 1px solid var(--_border); border-radius: var(--_radius);
    background: var(--_bg); color: var(--_text);
  }
  .dialog::backdrop { background: rgb(0 0 0 / .75); }
  .dialog-head { display: flex; gap: 12px; align-items: flex-start; justify-content: space-between; }
  .title { margin: 0; max-height: 4.2em; overflow: auto; font-size: 1.05em; overflow-wrap: anywhere; }
  .stage { display: flex; justify-content: center; margin: 12px 0; }
  .player {
    display: block; width: min(100%, calc(70vh * var(--_ar))); max-height: 70vh; aspect-ratio: var(--_ar);
    background: #000; border-radius: var(--_r);
  }
  div.player { display: grid; place-content: center; justify-items: center; gap: 8px; padding: 16px; color: #fff; text-align: center; }
  div.player .err { color: #fca5a5; }
  div.player .muted { color: #d4d4d8; font-size: .85em; }
  .progress.wide { position: static; width: min(320px, 60vw); height: 6px; }
  .details { display: flex; flex-wrap: wrap; gap: 4px 24px; margin: 0 0 12px; }
  .details dt { color: var(--_muted); font-size: .8em; }
  .details dd { margin: 0; }
  .dialog-actions, .confirm, .publish div { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
  .confirm p { flex-basis: 100%; margin: 0; font-weight: 600; }
  .publish { display: grid; gap: 8px; margin-top: 12px; }
  .publish label { display: grid; gap: 4px; }
  .publish div { justify-content: flex-end; }
`];
