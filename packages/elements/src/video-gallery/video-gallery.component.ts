import { ContextProvider } from '@lit/context';
import type { JobStatus } from '@video-gallery/core';
import { ACTIVE_STATUSES, JOB_STATUSES, TERMINAL_STATUSES } from '@video-gallery/core';
import type { RemoteGallery } from '@video-gallery/core/client';
import { html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { MediaUrls, type GalleryClient, type GalleryItem, type MediaKind, type ResolveUrl } from '../shared/client.js';
import { galleryClientContext } from '../shared/context.js';
import { emit, emitError } from '../shared/events.js';
import { clock, entryCost, errorText, findModel, formatDate, ratioOf, timeAgo } from '../shared/format.js';
import { GalleryController } from '../shared/gallery-controller.js';
import { live } from '../shared/live.js';
import { defaultGalleryStrings, mergeStrings, type GalleryStrings, type StringsOverride } from '../shared/strings.js';
import { localeOf, options, remoteFor } from '../shared/util.js';
import { galleryStyles } from './video-gallery.styles.js';

const TERMINAL = new Set<JobStatus>(TERMINAL_STATUSES);
/** Named status filters the `status` attribute and the toolbar use. */
const STATUS_GROUPS: Record<string, readonly JobStatus[]> = { active: ACTIVE_STATUSES, ready: ['ready'], failed: ['failed', 'cancelled'] };
const SEARCH_DEBOUNCE_MS = 300;
const OVERSCAN_ROWS = 1;

/** The statuses a `status` attribute value stands for: a group name, or a comma-separated list of states; `null` for all. */
export function parseStatusFilter(value: string | null | undefined): JobStatus[] | null {
  if (!value) return null;
  const group = STATUS_GROUPS[value];
  if (group) return [...group];
  const states = value.split(',').map((s) => s.trim()).filter((s): s is JobStatus => (JOB_STATUSES as readonly string[]).includes(s));
  return states.length ? states : null;
}

function reducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}

const isFailed = (entry: GalleryItem): boolean => entry.status === 'failed' || entry.status === 'cancelled';

/** Progress in percent, `null` when unknown. */
const percent = (entry: GalleryItem): number | null => (entry.progress === null ? null : Math.round(entry.progress * 100));

/** The number of grid columns the styles ask for (`--_cols`). */
const columnsOf = (element: Element): number => Math.max(1, parseInt(getComputedStyle(element).getPropertyValue('--_cols'), 10) || 1);

function fileName(entry: GalleryItem): string {
  const slug = entry.request.prompt.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
  return `${slug || 'video'}.mp4`;
}

/**
 * A live, virtualized grid of generated videos with filters, search, a player dialog and keyboard
 * navigation. Connect it with `src` (the URL of the gallery HTTP API) or the `client` property.
 *
 * @tagname video-gallery
 * @summary Shows a gallery's videos and jobs, live.
 *
 * @slot - Content above the toolbar, typically a `<generate-form>` (which then uses this gallery's client).
 * @slot empty - Replaces the text shown when there are no videos.
 *
 * @event vg-entry-open - A card was activated (cancelable: prevent it to show your own player).
 * @event vg-entry-close - The player dialog closed.
 * @event vg-entry-update - Favorite, caption or visibility changed.
 * @event vg-entry-delete - An entry was deleted.
 * @event vg-entry-retry - A failed or cancelled job was queued again.
 * @event vg-entry-cancel - A running job was cancelled.
 * @event vg-filter-change - The toolbar changed the filters, sort or search.
 * @event vg-load - A page of entries arrived.
 * @event vg-error - Something failed (also shown in the element).
 *
 * @csspart toolbar - The bar with search, filters and sort.
 * @csspart search - The search input.
 * @csspart status-filter - The status select.
 * @csspart favorites-filter - The favorites toggle.
 * @csspart sort - The sort select.
 * @csspart count - "24 of 130 videos".
 * @csspart grid - The grid of cards.
 * @csspart card - One card (also `card-<status>`, e.g. `card-failed`).
 * @csspart card-media - The 16:9 media area of a card.
 * @csspart thumbnail - The poster image.
 * @csspart placeholder - Shown when there is no poster.
 * @csspart preview - The muted preview video.
 * @csspart badge - The status badge (also `badge-<status>`).
 * @csspart progress - The progress bar of a running job.
 * @csspart duration - The duration label.
 * @csspart prompt - The prompt preview.
 * @csspart meta - Date or elapsed time, and cost.
 * @csspart error - A failed job's error.
 * @csspart favorite-button - The favorite toggle.
 * @csspart retry-button - The retry button.
 * @csspart loading - The loading state.
 * @csspart empty - The empty state.
 * @csspart error-state - The load error state.
 * @csspart load-more - The load more button.
 * @csspart dialog - The player dialog.
 * @csspart player - The video in the dialog.
 * @csspart player-placeholder - Shown in the dialog instead of the video while a job runs or after it failed.
 * @csspart close-button - The dialog's close button.
 * @csspart download - The dialog's download link.
 * @csspart publish - The dialog's caption and publish form.
 * @csspart details - The details list in the dialog.
 * @csspart dialog-actions - The dialog's buttons.
 * @csspart caption - The caption field.
 * @csspart confirm - The delete confirmation.
 *
 * @cssproperty --vg-color-background - Background of controls and dialogs.
 * @cssproperty --vg-color-surface - Background of cards.
 * @cssproperty --vg-color-text - Text color.
 * @cssproperty --vg-color-muted - Secondary text.
 * @cssproperty --vg-color-border - Borders.
 * @cssproperty --vg-color-accent - Accent (focus, primary buttons, progress).
 * @cssproperty --vg-color-on-accent - Text on the accent color.
 * @cssproperty --vg-color-danger - Errors and delete.
 * @cssproperty --vg-color-success - The ready badge.
 * @cssproperty --vg-radius - Corner radius.
 * @cssproperty --vg-gap - Space between cards.
 * @cssproperty --vg-font-family - Font.
 * @cssproperty --vg-font-size - Base font size.
 * @cssproperty --vg-transition-duration - Transitions (0s when reduced motion is asked for).
 * @cssproperty --vg-card-body-height - Height of the text area of a card. Default 7.5em.
 * @cssproperty --vg-max-height - Height limit of the element; set it to scroll inside the element. Default none.
 * @cssproperty --vg-columns - A fixed number of columns, instead of 1 to 5 by the element's width (container queries).
 */
export class VideoGalleryElement extends LitElement {
  static override styles = galleryStyles;

  static override properties = {
    src: {},
    client: { attribute: false },
    status: { reflect: true },
    favorites: { type: Boolean, reflect: true },
    sort: { reflect: true },
    q: { reflect: true },
    pageSize: { type: Number, attribute: 'page-size' },
    autoplayInView: { type: Boolean, attribute: 'autoplay-in-view' },
    noInfiniteScroll: { type: Boolean, attribute: 'no-infinite-scroll' },
    noToolbar: { type: Boolean, attribute: 'no-toolbar' },
    theme: { reflect: true },
    strings: { attribute: false },
    resolveUrl: { attribute: false },
  };

  /** URL of the gallery HTTP API, e.g. `/api/gallery`; a `RemoteGallery` is made for it. Ignored when `client` is set. */
  declare src: string | undefined;
  /** The gallery client: a `VideoGallery`, a `RemoteGallery`, or anything implementing `GalleryClient`. Takes precedence over `src`. */
  declare client: GalleryClient | undefined;
  /** Status filter: `active`, `ready`, `failed`, or a comma-separated list of states. Empty for all. */
  declare status: string;
  /** Only favorites. Default false. */
  declare favorites: boolean;
  /** `newest` (default) or `oldest`. */
  declare sort: 'newest' | 'oldest';
  /** Prompt search text. The toolbar's search sets it 300 ms after typing stops. */
  declare q: string;
  /** Entries per page, 1 to 100. Default 24. */
  declare pageSize: number;
  /** Plays muted previews of the cards on screen, pauses those off screen. Default false. */
  declare autoplayInView: boolean;
  /** Turns off loading the next page when the end comes into view (the Load more button stays). Default false. */
  declare noInfiniteScroll: boolean;
  /** Hides the search, filter and sort bar. Default false. */
  declare noToolbar: boolean;
  /** `light` or `dark`; empty to follow `prefers-color-scheme`. */
  declare theme: string;
  /** Replacement texts (i18n); any subset of `GalleryStrings`. */
  declare strings: StringsOverride<GalleryStrings> | undefined;
  /** Makes media URLs yourself (CDN, signed URLs); see `ResolveUrl`. Default: from the client. */
  declare resolveUrl: ResolveUrl | undefined;

  readonly #gallery: GalleryController;
  readonly #provider = new ContextProvider(this, { context: galleryClientContext, initialValue: null });
  readonly #media = new MediaUrls(() => this.requestUpdate());
  #remote: RemoteGallery | null = null;
  #s: GalleryStrings = defaultGalleryStrings;
  #stringsSource: unknown;
  // Layout of the virtual grid.
  #cols = 1;
  #pitch = 0;
  #gap = 16;
  #first = 0;
  #last = 0;
  #frame = 0;
  #resize: ResizeObserver | null = null;
  #inView: IntersectionObserver | null = null;
  #listening: AbortController | null = null;
  #nearEnd = false;
  // Interaction state.
  #activeId: string | null = null;
  #focusPending = false;
  #focusWithin = false;
  #hoverId: string | null = null;
  #openId: string | null = null;
  #confirming = false;
  #showPending = false;
  #opener: string | null = null;
  #lastIndex = 0;
  #busy = new Set<string>();
  #announcement = '';
  #now = Date.now();
  #ticker: ReturnType<typeof setInterval> | null = null;
  #tickPeriod = 0;
  #searchTimer: ReturnType<typeof setTimeout> | null = null;
  #searchText: string | null = null;
  #reducedMotion = false;

  constructor() {
    super();
    this.status = '';
    this.favorites = false;
    this.sort = 'newest';
    this.q = '';
    this.pageSize = 24;
    this.autoplayInView = false;
    this.noInfiniteScroll = false;
    this.noToolbar = false;
    this.theme = '';
    this.#gallery = new GalleryController(this, {
      onError: (error, action) => {
        if (action !== 'capabilities') this.#reportError(error, action);
      },
      onLoad: (page) => emit(this, 'vg-load', { items: page.items, total: page.total, nextCursor: page.nextCursor }),
      onChange: (change, previous) => this.#onChange(change.entry, change.type, previous),
    });
    this.addEventListener('vg-generate', (event) => {
      // A <generate-form> inside: show its job at once, before the live stream reports it.
      if (event.target !== this) this.#gallery.upsert(event.detail.entry);
    });
  }

  /** The controller holding the loaded entries (read-only use: `items`, `total`, `state`). */
  get controller(): GalleryController {
    return this.#gallery;
  }

  /** Loads the first page again. */
  reload(): Promise<void> {
    return this.#gallery.reload();
  }

  /** Opens the player dialog for a loaded entry. Returns false when it is not loaded. */
  open(id: string): boolean {
    const entry = this.#gallery.find(id);
    if (!entry) return false;
    this.#openEntry(entry, false);
    return true;
  }

  /** Closes the player dialog. */
  close(): void {
    this.#dialog?.close();
  }

  override connectedCallback(): void {
    this.#syncClient();
    this.#syncQuery();
    super.connectedCallback();
    this.#reducedMotion = reducedMotion();
    this.#listening = new AbortController();
    const options = { passive: true, signal: this.#listening.signal };
    addEventListener('scroll', this.#onScroll, { ...options, capture: true });
    addEventListener('resize', this.#onScroll, options);
    this.addEventListener('scroll', this.#onScroll, options);
    this.#resize = new ResizeObserver(this.#onScroll);
    this.#resize.observe(this);
    this.#inView = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const video = entry.target as HTMLVideoElement;
        if (entry.isIntersecting) video.play().catch(() => undefined);
        else video.pause();
      }
    }, { threshold: 0.5 });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#listening?.abort();
    this.#resize?.disconnect();
    this.#inView?.disconnect();
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    this.#stopTicker();
    if (this.#searchTimer) clearTimeout(this.#searchTimer);
    this.#media.clear();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('src') || changed.has('client')) this.#syncClient();
    if (changed.has('status') || changed.has('favorites') || changed.has('sort') || changed.has('q') || changed.has('pageSize')) this.#syncQuery();
    if (changed.has('strings') || this.#stringsSource !== this.strings) {
      this.#stringsSource = this.strings;
      this.#s = mergeStrings(defaultGalleryStrings, this.strings);
    }
    if (changed.has('resolveUrl')) this.#media.clear();
    this.#now = Date.now();
    // Elapsed times of running jobs tick every second; "5 min ago" every minute.
    const period = this.#gallery.items.some((item) => !TERMINAL.has(item.status)) ? 1000 : 60_000;
    if (period !== this.#tickPeriod && this.isConnected) {
      this.#stopTicker();
      this.#tickPeriod = period;
      this.#ticker = setInterval(() => this.requestUpdate(), period);
    }
  }

  protected override updated(): void {
    this.#measure();
    const dialog = this.#dialog;
    if (this.#showPending && dialog) {
      this.#showPending = false;
      if (!dialog.open) dialog.showModal();
    }
    if (this.#focusPending) {
      this.#focusPending = false;
      const card = this.#cardElement(this.#activeId);
      card?.focus();
      card?.scrollIntoView?.({ block: 'nearest' });
    }
    if (this.autoplayInView && this.#inView) {
      for (const video of this.renderRoot.querySelectorAll<HTMLVideoElement>('video[data-autoplay]')) this.#inView.observe(video);
    }
    this.#maybeLoadMore();
  }

  protected override render(): TemplateResult {
    const s = this.#s;
    const g = this.#gallery;
    const n = g.items.length;
    const empty = html`<div part="empty" class="state"><slot name="empty">${s.empty}</slot></div>`;
    const body = !g.client ? empty
      : n ? this.#grid()
      : g.state === 'loading' || g.state === 'idle'
        ? html`<div part="loading" class="state" role="status"><span class="spinner" aria-hidden="true"></span>${s.loading}</div>`
      : g.state === 'error'
        ? html`<div part="error-state" class="state" role="alert">
            <p>${s.loadFailed} ${errorText(g.error, s.errors)}</p>
            <button @click=${() => this.reload()}>${s.tryAgain}</button>
          </div>`
      : this.status || this.favorites || this.q
        ? html`<div part="empty" class="state"><p>${s.emptyFiltered}</p><button @click=${this.#clearFilters}>${s.clearFilters}</button></div>`
      : empty;
    return html`
      <slot></slot>
      ${this.noToolbar ? nothing : this.#toolbar()}
      ${body}
      ${n && (g.state === 'error' || g.moreError) ? html`<p class="err" role="alert">${errorText(g.error, s.errors)}</p>` : nothing}
      ${g.nextCursor && n
        ? html`<div class="footer"><button part="load-more" ?disabled=${g.loadingMore} @click=${() => g.loadMore()}>
            ${g.loadingMore ? s.loadingMore : s.loadMore}</button></div>`
        : nothing}
      <div class="sr" role="status">${this.#announcement}</div>
      ${this.#dialogTemplate()}
    `;
  }

  // ---------------------------------------------------------------- toolbar

  #toolbar(): TemplateResult {
    const s = this.#s;
    const g = this.#gallery;
    const group = STATUS_GROUPS[this.status] ? this.status : '';
    return html`<div part="toolbar" class="toolbar">
      <input part="search" type="search" aria-label=${s.search} placeholder=${s.search}
        .value=${live(this.#searchText ?? this.q)} @input=${this.#onSearchInput}>
      <select part="status-filter" aria-label=${s.filterStatus} @change=${(e: Event) => this.#setFilter({ status: (e.target as HTMLSelectElement).value })}>
        ${options([['', s.statusAll], ['active', s.statusActive], ['ready', s.statusReady], ['failed', s.statusFailed]], group)}
      </select>
      <button part="favorites-filter" aria-pressed=${this.favorites} @click=${() => this.#setFilter({ favorites: !this.favorites })}>
        <span aria-hidden="true">${this.favorites ? '★' : '☆'}</span>${s.favoritesOnly}</button>
      <select part="sort" aria-label=${s.sort} @change=${(e: Event) => this.#setFilter({ sort: (e.target as HTMLSelectElement).value as 'newest' | 'oldest' })}>
        ${options([['newest', s.newest], ['oldest', s.oldest]], this.sort === 'oldest' ? 'oldest' : 'newest')}
      </select>
      <span part="count" class="count muted">${g.state === 'ready' || g.items.length ? s.count(g.items.length, g.total) : ''}</span>
    </div>`;
  }

  #onSearchInput = (event: Event): void => {
    this.#searchText = (event.target as HTMLInputElement).value;
    if (this.#searchTimer) clearTimeout(this.#searchTimer);
    this.#searchTimer = setTimeout(() => {
      this.#searchTimer = null;
      const q = this.#searchText ?? '';
      this.#searchText = null;
      this.#setFilter({ q });
    }, SEARCH_DEBOUNCE_MS);
  };

  #setFilter(patch: { status?: string; favorites?: boolean; sort?: 'newest' | 'oldest'; q?: string }): void {
    if (patch.status !== undefined) this.status = patch.status;
    if (patch.favorites !== undefined) this.favorites = patch.favorites;
    if (patch.sort !== undefined) this.sort = patch.sort;
    if (patch.q !== undefined) this.q = patch.q;
    this.#syncQuery();
    emit(this, 'vg-filter-change', { status: parseStatusFilter(this.status), favorites: this.favorites, sort: this.sort, q: this.q });
  }

  #clearFilters = (): void => {
    this.#searchText = null;
    this.#setFilter({ status: '', favorites: false, q: '' });
  };

  // ---------------------------------------------------------------- grid

  #grid(): TemplateResult {
    const items = this.#gallery.items;
    const cols = this.#cols;
    const rows = Math.ceil(items.length / cols);
    const pitch = this.#pitch || this.#estimatePitch();
    const first = Math.min(this.#first, rows - 1);
    const last = Math.min(Math.max(this.#last, first), rows - 1);
    const shown: number[] = [];
    for (let r = first; r <= last; r++) shown.push(r);
    // Keep the focused card's row rendered (focus would be lost with it), and know which card is tabbable.
    let active = this.#activeId ? items.findIndex((item) => item.id === this.#activeId) : -1;
    let activeRow = Math.floor(active / cols);
    if (active < 0 || ((activeRow < first || activeRow > last) && !this.#focusWithin && !this.#focusPending)) {
      active = first * cols;
      activeRow = first;
      this.#activeId = items[active]?.id ?? null;
    }
    if (activeRow < first || activeRow > last) shown.push(activeRow);
    const totalRows = Math.ceil(Math.max(this.#gallery.total, items.length) / cols);
    return html`<div part="grid" class="grid" role="grid" aria-label=${this.#s.gallery} aria-rowcount=${totalRows} aria-colcount=${cols}
        style="height:${Math.max(0, rows * pitch - this.#gap)}px"
        @click=${this.#onGridClick} @keydown=${this.#onGridKey} @focusin=${this.#onFocusIn} @focusout=${this.#onFocusOut}
        @pointerover=${this.#onPointerOver} @pointerleave=${this.#onPointerLeave}>
      ${repeat(shown, (r) => r, (r) => html`<div class="row" role="row" aria-rowindex=${r + 1} style="top:${r * pitch}px">
        ${repeat(items.slice(r * cols, r * cols + cols), (item) => item.id, (item, c) => this.#card(item, c, item.id === this.#activeId))}
      </div>`)}
    </div>`;
  }

  #card(entry: GalleryItem, column: number, active: boolean): TemplateResult {
    const s = this.#s;
    const thumb = this.#url(entry, 'thumbnail');
    const preview = entry.status === 'ready' && !this.#reducedMotion && (this.autoplayInView || this.#hoverId === entry.id) ? this.#url(entry, 'video') : null;
    const running = !TERMINAL.has(entry.status);
    const busy = this.#busy.has(entry.id);
    const tab = active ? 0 : -1;
    const progress = percent(entry);
    const duration = entry.video?.durationSeconds ?? (entry.status === 'ready' ? entry.request.durationSeconds : null);
    const cost = entryCost(this.#gallery.capabilities, entry, localeOf(this));
    const when = running ? this.#elapsed(entry) : timeAgo(entry.completedAt ?? entry.createdAt, this.#now, s);
    const failed = isFailed(entry);
    return html`<div part="card card-${entry.status}" class="card" role="gridcell" tabindex=${tab} aria-colindex=${column + 1}
        data-id=${entry.id} data-status=${entry.status} aria-busy=${running}>
      <div part="card-media" class="media">
        ${thumb ? html`<img part="thumbnail" src=${thumb} alt="" loading="lazy" decoding="async">`
          : html`<span part="placeholder" class="placeholder">${running ? '' : s.noPreview}</span>`}
        ${preview ? html`<video part="preview" class="preview" src=${preview} muted loop playsinline preload="metadata"
            aria-hidden="true" tabindex="-1" ?autoplay=${!this.autoplayInView} ?data-autoplay=${this.autoplayInView}></video>` : nothing}
        <span part="badge badge-${entry.status}" class="badge">${s.status[entry.status]}</span>
        ${duration ? html`<span part="duration" class="duration">${clock(duration)}</span>` : nothing}
        ${running ? this.#progress(entry, false) : nothing}
      </div>
      <div class="body">
        <p part="prompt" class="prompt" title=${entry.request.prompt}>${entry.request.prompt}</p>
        <p part="meta" class="meta muted">${when}${progress !== null && running ? ` · ${s.progress(progress)}` : ''}${cost ? ` · ${s.cost(cost)}` : ''}</p>
        ${failed ? html`<p part="error" class="err" title=${entry.error?.message ?? ''}>${this.#failure(entry)}</p>` : nothing}
        <div class="actions">
          ${failed ? html`<button part="retry-button" data-action="retry" tabindex=${tab} ?disabled=${busy}>${s.retry}</button>` : nothing}
          <button part="favorite-button" class="favorite" data-action="favorite" tabindex=${tab} aria-label=${s.favorite}
            aria-pressed=${entry.favorite}>${entry.favorite ? '★' : '☆'}</button>
        </div>
      </div>
    </div>`;
  }

  /** The progress bar of a running job: in a card (`part` progress), or wide in the dialog. */
  #progress(entry: GalleryItem, wide: boolean): TemplateResult {
    const s = this.#s;
    const progress = percent(entry);
    const label = s.status[entry.status];
    return html`<div part=${wide ? nothing : 'progress'} class="progress ${wide ? 'wide' : ''}" role="progressbar" aria-label=${label} aria-valuemin="0" aria-valuemax="100"
        aria-valuenow=${progress ?? nothing} aria-valuetext=${progress === null ? label : s.progress(progress)}>
      <span class=${progress === null ? 'indeterminate' : ''} style="width:${progress ?? 100}%"></span></div>`;
  }

  /** "1:05 elapsed" since a job was submitted. */
  #elapsed(entry: GalleryItem): string {
    return this.#s.elapsed(clock((this.#now - Date.parse(entry.submittedAt ?? entry.createdAt)) / 1000));
  }

  /** Why a job failed, in plain words. */
  #failure(entry: GalleryItem): string {
    return entry.error ? errorText(entry.error, this.#s.errors) : this.#s.status[entry.status];
  }

  #estimatePitch(cols = this.#cols): number {
    const width = this.getBoundingClientRect().width || 320;
    return ((width - (cols - 1) * this.#gap) / cols) * (9 / 16) + 130 + this.#gap;
  }

  /** Reads columns, row height and the visible rows; renders again when they changed. */
  #measure = (): void => {
    const grid = this.#gridElement;
    if (!grid) {
      // Loading or empty: learn the column count now, so the first grid render already has the right rows.
      const state = this.renderRoot.querySelector<HTMLElement>('.state');
      if (state && this.isConnected && state.offsetWidth > 0) {
        this.#cols = columnsOf(state);
        this.#first = 0;
        this.#last = Math.ceil(innerHeight / this.#estimatePitch()) + OVERSCAN_ROWS;
      }
      return;
    }
    // Not laid out (disconnected, display: none): nothing to measure.
    if (!this.isConnected || grid.offsetWidth === 0) return;
    const cols = columnsOf(grid);
    const row = grid.querySelector<HTMLElement>('.row');
    const gap = row ? Number.parseFloat(getComputedStyle(row).columnGap) || 0 : this.#gap;
    const pitch = row && row.offsetHeight > 0 && cols === this.#cols ? row.offsetHeight + gap : this.#estimatePitch(cols);
    const rows = Math.ceil(this.#gallery.items.length / cols);
    const rect = grid.getBoundingClientRect();
    const host = this.getBoundingClientRect();
    const top = Math.max(0, host.top) - rect.top;
    const bottom = Math.min(innerHeight, host.bottom) - rect.top;
    const screen = Math.ceil(innerHeight / pitch);
    const first = Math.max(0, Math.min(rows - 1, Math.floor(top / pitch) - OVERSCAN_ROWS));
    const last = Math.max(0, Math.min(rows - 1, Math.max(Math.ceil(bottom / pitch) + OVERSCAN_ROWS, first + Math.min(screen, 2))));
    // Within a screen of the end: time for the next page (infinite scroll).
    this.#nearEnd = bottom > rows * pitch - Math.max(innerHeight, 600);
    if (cols !== this.#cols || Math.abs(pitch - this.#pitch) > 0.5 || gap !== this.#gap || first !== this.#first || last !== this.#last) {
      this.#cols = cols;
      this.#pitch = pitch;
      this.#gap = gap;
      this.#first = first;
      this.#last = last;
      this.requestUpdate();
    }
    this.#maybeLoadMore();
  };

  #onScroll = (): void => {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.#measure();
    });
  };

  #maybeLoadMore(): void {
    if (this.#nearEnd && !this.noInfiniteScroll && this.#gallery.state === 'ready' && !this.#gallery.moreError) void this.#gallery.loadMore();
  }

  #onGridClick = (event: MouseEvent): void => {
    const target = event.target as Element;
    const card = target.closest<HTMLElement>('.card');
    const entry = card && this.#gallery.find(card.dataset.id!);
    if (!entry) return;
    const action = target.closest<HTMLElement>('[data-action]')?.dataset.action;
    if (action === 'favorite') void this.#update(entry, { favorite: !entry.favorite });
    else if (action === 'retry') void this.#run(entry, 'retry');
    else this.#openEntry(entry, true);
  };

  #onGridKey = (event: KeyboardEvent): void => {
    const items = this.#gallery.items;
    const from = items.findIndex((item) => item.id === this.#activeId);
    if (from < 0) return;
    const onCard = (event.target as Element).classList.contains('card');
    const cols = this.#cols;
    const page = Math.max(1, this.#last - this.#first - 1) * cols;
    let to = -1;
    switch (event.key) {
      case 'ArrowRight': to = from + 1; break;
      case 'ArrowLeft': to = from - 1; break;
      case 'ArrowDown': to = from + cols; break;
      case 'ArrowUp': to = from - cols; break;
      case 'PageDown': to = from + page; break;
      case 'PageUp': to = from - page; break;
      case 'Home': to = event.ctrlKey ? 0 : from - (from % cols); break;
      case 'End': to = event.ctrlKey ? items.length - 1 : Math.min(items.length - 1, from - (from % cols) + cols - 1); break;
      case 'Enter':
      case ' ':
        if (!onCard) return;
        event.preventDefault();
        this.#openEntry(items[from]!, true);
        return;
      default: return;
    }
    event.preventDefault();
    if (to >= items.length) {
      void this.#gallery.loadMore();
      to = items.length - 1;
    }
    this.#focusCard(Math.max(0, to));
  };

  #focusCard(index: number): void {
    const entry = this.#gallery.items[index];
    if (!entry) return;
    this.#activeId = entry.id;
    this.#focusPending = true;
    this.requestUpdate();
  }

  #onFocusOut = (event: FocusEvent): void => {
    const next = event.relatedTarget as Node | null;
    if (!next || !(event.currentTarget as Element).contains(next)) this.#focusWithin = false;
  };

  #onFocusIn = (event: FocusEvent): void => {
    this.#focusWithin = true;
    const card = (event.target as Element).closest<HTMLElement>('.card');
    if (!card) return;
    const id = card.dataset.id!;
    if (this.#activeId !== id || this.#hoverId !== id) {
      this.#activeId = id;
      this.#hoverId = id;
      this.requestUpdate();
    }
  };

  #onPointerOver = (event: PointerEvent): void => {
    const id = (event.target as Element).closest<HTMLElement>('.card')?.dataset.id ?? null;
    if (id !== this.#hoverId) {
      this.#hoverId = id;
      this.requestUpdate();
    }
  };

  #onPointerLeave = (): void => {
    if (this.#hoverId === null) return;
    this.#hoverId = null;
    this.requestUpdate();
  };

  // ---------------------------------------------------------------- dialog

  #dialogTemplate(): TemplateResult {
    const entry = this.#openId ? this.#gallery.find(this.#openId) : undefined;
    return html`<dialog part="dialog" class="dialog" aria-labelledby="vg-dialog-title" @close=${this.#onDialogClose}
        @keydown=${this.#trapFocus} @click=${this.#onDialogClick}>${entry ? this.#dialogContent(entry) : nothing}</dialog>`;
  }

  #dialogContent(entry: GalleryItem): TemplateResult {
    const s = this.#s;
    const running = !TERMINAL.has(entry.status);
    const failed = isFailed(entry);
    const busy = this.#busy.has(entry.id);
    const ready = entry.status === 'ready';
    const video = ready ? this.#url(entry, 'video') : null;
    const download = ready ? this.#url(entry, 'download') : null;
    const r = entry.request;
    const ratio = ratioOf(r.aspectRatio, entry.video?.width, entry.video?.height);
    const locale = localeOf(this);
    const cost = entryCost(this.#gallery.capabilities, entry, locale);
    const model = findModel(this.#gallery.capabilities, r.provider, r.model);
    const published = entry.visibility === 'published';
    const details: [string, string][] = [
      [s.filterStatus, s.status[entry.status]],
      [s.model, model?.label ?? `${r.provider} / ${r.model}`],
      [s.format, `${r.aspectRatio} · ${r.resolution} · ${clock(entry.video?.durationSeconds ?? r.durationSeconds)}`],
      [s.created, formatDate(entry.createdAt, locale)],
    ];
    if (cost) details.push([s.price, s.cost(cost)]);
    if (r.seed !== undefined) details.push([s.seed, String(r.seed)]);
    return html`
      <div class="dialog-head">
        <h2 id="vg-dialog-title" class="title">${r.prompt}</h2>
        <button part="close-button" class="close" aria-label=${s.close} autofocus @click=${() => this.close()}>✕</button>
      </div>
      <div class="stage" style="--_ar:${ratio}">
        ${video ? html`<video part="player" class="player" src=${video} controls playsinline preload="metadata"
            ?autoplay=${!this.#reducedMotion} poster=${this.#url(entry, 'thumbnail') ?? nothing}></video>`
          : html`<div class="player placeholder" part="player-placeholder">
            ${running ? html`${this.#progress(entry, true)}<p>${s.status[entry.status]} · ${this.#elapsed(entry)}</p>`
            : failed ? html`<p class="err" role="alert">${this.#failure(entry)}</p>
              ${entry.error?.message ? html`<p class="muted small">${entry.error.message}</p>` : nothing}`
            : nothing}
          </div>`}
      </div>
      <dl part="details" class="details">${details.map(([term, value]) => html`<div><dt>${term}</dt><dd>${value}</dd></div>`)}</dl>
      ${this.#confirming
        ? html`<div part="confirm" class="confirm" role="group" aria-labelledby="vg-confirm">
            <p id="vg-confirm">${s.confirmDelete}</p>
            <button class="keep" @click=${() => this.#setConfirming(false)}>${s.keep}</button>
            <button class="danger" ?disabled=${busy} @click=${() => this.#delete(entry)}>${s.delete}</button>
          </div>`
        : html`<div part="dialog-actions" class="dialog-actions">
            <button data-action="favorite" aria-pressed=${entry.favorite} @click=${() => this.#update(entry, { favorite: !entry.favorite })}>
              <span aria-hidden="true">${entry.favorite ? '★' : '☆'}</span>${s.favorite}</button>
            ${download ? html`<a part="download" class="btn" href=${download} download=${fileName(entry)}>${s.download}</a>` : nothing}
            ${failed ? html`<button class="primary" ?disabled=${busy} @click=${() => this.#run(entry, 'retry')}>${s.retry}</button>` : nothing}
            ${running && this.#gallery.client?.cancel ? html`<button ?disabled=${busy} @click=${() => this.#run(entry, 'cancel')}>${s.cancel}</button>` : nothing}
            <button class="danger" data-action="delete" @click=${() => this.#setConfirming(true)}>${s.delete}</button>
          </div>`}
      ${ready ? html`<form part="publish" class="publish" @submit=${(e: SubmitEvent) => this.#publish(e, entry)}>
          <label>${s.caption}<textarea part="caption" name="caption" rows="2" maxlength="2000" .value=${live(entry.caption ?? '')}></textarea></label>
          <div>
            ${published ? html`<span class="badge static">${s.published}</span>` : nothing}
            <button class=${published ? '' : 'primary'} ?disabled=${busy} value=${published ? 'draft' : 'published'}>${published ? s.unpublish : s.publish}</button>
          </div>
        </form>` : nothing}
    `;
  }

  #openEntry(entry: GalleryItem, fromCard: boolean): void {
    if (!emit(this, 'vg-entry-open', { entry }, true)) return;
    this.#opener = fromCard ? entry.id : null;
    this.#activeId = entry.id;
    this.#openId = entry.id;
    this.#showPending = true;
    this.#confirming = false;
    this.requestUpdate();
  }

  #onDialogClose = (): void => {
    // Opened again before this close event arrived.
    if (this.#dialog?.open) return;
    const entry = this.#openId ? this.#gallery.find(this.#openId) : undefined;
    this.#openId = null;
    this.#confirming = false;
    if (entry) emit(this, 'vg-entry-close', { entry });
    // Back to the card that opened it (or its neighbour after a delete).
    if (this.#opener) {
      const index = this.#gallery.items.findIndex((item) => item.id === this.#opener);
      this.#focusCard(index >= 0 ? index : Math.min(this.#lastIndex, this.#gallery.items.length - 1));
    }
    this.#opener = null;
    this.requestUpdate();
  };

  #onDialogClick = (event: MouseEvent): void => {
    // A click on the backdrop lands on the dialog itself, outside its box (its padding is inside).
    const dialog = event.currentTarget as HTMLDialogElement;
    if (event.target !== dialog) return;
    const box = dialog.getBoundingClientRect();
    if (event.clientX < box.left || event.clientX > box.right || event.clientY < box.top || event.clientY > box.bottom) this.close();
  };

  #trapFocus = (event: KeyboardEvent): void => {
    if (event.key !== 'Tab') return;
    const dialog = this.#dialog!;
    const focusable = [...dialog.querySelectorAll<HTMLElement>('button:not(:disabled), a[href], textarea, input, select, video[controls]')];
    if (focusable.length === 0) return;
    const current = this.renderRoot instanceof ShadowRoot ? this.renderRoot.activeElement : document.activeElement;
    const first = focusable[0]!;
    const last = focusable[focusable.length - 1]!;
    if (event.shiftKey && (current === first || !dialog.contains(current))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (current === last || !dialog.contains(current))) {
      event.preventDefault();
      first.focus();
    }
  };

  #setConfirming(value: boolean): void {
    this.#confirming = value;
    this.requestUpdate();
    void this.updateComplete.then(() => {
      this.renderRoot.querySelector<HTMLElement>(value ? '.confirm .keep' : '[data-action="delete"]')?.focus();
    });
  }

  #publish(event: SubmitEvent, entry: GalleryItem): void {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const caption = (form.elements.namedItem('caption') as HTMLTextAreaElement).value.trim();
    const visibility = (event.submitter as HTMLButtonElement | null)?.value === 'draft' ? 'draft' : 'published';
    void this.#update(entry, { caption: caption || null, visibility });
  }

  // ---------------------------------------------------------------- actions

  #update(entry: GalleryItem, patch: { favorite?: boolean; caption?: string | null; visibility?: 'draft' | 'published' }): Promise<void> {
    const optimistic = patch.favorite !== undefined;
    // Favorites flip at once; the server's answer (a newer version) replaces it, or the old one comes back.
    if (optimistic && this.#gallery.client) this.#gallery.upsert({ ...entry, ...patch });
    return this.#act(entry, 'update', async (client) => {
      try {
        const updated = await client.update(entry.id, patch);
        this.#gallery.upsert(updated);
        emit(this, 'vg-entry-update', { entry: updated, patch });
      } catch (error) {
        if (optimistic) this.#gallery.upsert(entry);
        throw error;
      }
    }, true);
  }

  #run(entry: GalleryItem, action: 'retry' | 'cancel'): Promise<void> {
    return this.#act(entry, action, async (client) => {
      const updated = action === 'retry' ? await client.retry(entry.id) : await client.cancel!(entry.id);
      this.#media.forget(entry.id);
      this.#gallery.upsert(updated);
      emit(this, `vg-entry-${action}`, { entry: updated });
    });
  }

  #delete(entry: GalleryItem): Promise<void> {
    return this.#act(entry, 'delete', async (client) => {
      await client.delete(entry.id);
      this.#lastIndex = Math.max(0, this.#gallery.items.findIndex((item) => item.id === entry.id));
      this.#gallery.remove(entry);
      this.#media.forget(entry.id);
      emit(this, 'vg-entry-delete', { entry });
      this.close();
    });
  }

  /** Runs one action on an entry: marked busy meanwhile (and, unless `again`, not started twice), failures reported. */
  async #act(entry: GalleryItem, action: string, work: (client: GalleryClient) => Promise<void>, again = false): Promise<void> {
    const client = this.#gallery.client;
    if (!client || (!again && this.#busy.has(entry.id))) return;
    this.#setBusy(entry.id, true);
    try {
      await work(client);
    } catch (error) {
      this.#reportError(error, action, entry);
    } finally {
      this.#setBusy(entry.id, false);
    }
  }

  #setBusy(id: string, busy: boolean): void {
    if (busy) this.#busy.add(id);
    else this.#busy.delete(id);
    this.requestUpdate();
  }

  #reportError(error: unknown, action: string, entry?: GalleryItem): void {
    emitError(this, error, action, entry);
    if (action !== 'load' && action !== 'load-more') this.#announce(errorText(error, this.#s.errors));
  }

  #onChange(entry: GalleryItem, type: 'create' | 'update' | 'delete', previous: GalleryItem | undefined): void {
    if (type === 'delete' || (previous && previous.attempt !== entry.attempt)) this.#media.forget(entry.id);
    if (type === 'delete' && entry.id === this.#openId) this.close();
    if (previous && !TERMINAL.has(previous.status) && TERMINAL.has(entry.status)) {
      this.#announce(`${this.#s.status[entry.status]}: ${entry.request.prompt.slice(0, 80)}`);
    }
  }

  #announce(text: string): void {
    this.#announcement = text;
    this.requestUpdate();
  }

  // ---------------------------------------------------------------- plumbing

  #url(entry: GalleryItem, kind: MediaKind): string | null {
    return this.#media.get(this.#gallery.client, this.resolveUrl, entry, kind) ?? null;
  }

  get #gridElement(): HTMLElement | null {
    return this.renderRoot?.querySelector?.<HTMLElement>('.grid') ?? null;
  }

  get #dialog(): HTMLDialogElement | null {
    return this.renderRoot?.querySelector?.('dialog') ?? null;
  }

  #cardElement(id: string | null): HTMLElement | null {
    return id ? this.renderRoot.querySelector<HTMLElement>(`.card[data-id="${CSS.escape(id)}"]`) : null;
  }

  #stopTicker(): void {
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = null;
    this.#tickPeriod = 0;
  }

  #syncClient(): void {
    let client: GalleryClient | null = this.client ?? null;
    if (!client && this.src) client = this.#remote = remoteFor(this.src, this.#remote);
    if (client !== this.#gallery.client) {
      this.#media.clear();
      this.#activeId = null;
      this.#gallery.client = client;
      this.#provider.setValue(client);
    }
  }

  #syncQuery(): void {
    this.#gallery.pageSize = Math.min(100, Math.max(1, Math.floor(this.pageSize) || 24));
    this.#gallery.setQuery({ status: parseStatusFilter(this.status), favorite: this.favorites, sort: this.sort === 'oldest' ? 'oldest' : 'newest', q: this.q.trim() });
  }
}
