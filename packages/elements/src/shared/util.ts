import { RemoteGallery } from '@video-gallery/core/client';
import { html, type TemplateResult } from 'lit';

/** A `RemoteGallery` for `src`: `remote` when it is one for it already, else a new one. */
export function remoteFor(src: string, remote: RemoteGallery | null): RemoteGallery {
  return remote?.baseUrl === src ? remote : new RemoteGallery({ baseUrl: src });
}

/** The language of the nearest `lang` attribute, for dates and money. */
export function localeOf(element: Element): string | undefined {
  return element.closest('[lang]')?.getAttribute('lang') || undefined;
}

/** The `<option>`s of a select: `[value, text]` pairs, `value` selected. */
export function options(list: readonly (readonly [string, string])[], value: string): TemplateResult[] {
  return list.map(([id, text]) => html`<option value=${id} ?selected=${id === value}>${text}</option>`);
}
