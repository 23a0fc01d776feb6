import { GalleryError } from '@video-gallery/core/client';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import '../index.js';
import type { GalleryItem } from '../shared/client.js';
import { MockGalleryClient, mockEntries, mockEntry } from '../stories/mock-client.js';
import { $, $$, browserGallery, collect, deepActiveElement, shadow } from '../test-support.js';
import type { VideoGalleryElement } from './video-gallery.component.js';

async function mount(client: MockGalleryClient | ReturnType<typeof browserGallery>['gallery'], attributes: Record<string, string> = {}): Promise<VideoGalleryElement> {
  const element = document.createElement('video-gallery');
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.client = client;
  document.body.append(element);
  await element.updateComplete;
  return element;
}

const cards = (element: Element) => $$(element, '.card');
const cardIds = (element: Element) => cards(element).map((card) => card.dataset.id);
const card = (element: Element, id: string) => $(element, `.card[data-id="${id}"]`);

async function settled(element: VideoGalleryElement): Promise<void> {
  await expect.poll(() => element.controller.state).toBe('ready');
  await element.updateComplete;
}

beforeAll(async () => {
  await page.viewport(1280, 800);
});

afterEach(() => {
  document.body.replaceChildren();
});

describe('<video-gallery> states', () => {
  it('shows a loading state while the first page is on its way', async () => {
    const element = await mount(new MockGalleryClient({ hangList: true }));
    const loading = $(element, '[part~="loading"]');
    expect(loading.getAttribute('role')).toBe('status');
    await expect.element(page.getByText('Loading videos…')).toBeVisible();
  });

  it('shows a load error in plain words with a retry that recovers', async () => {
    const client = new MockGalleryClient({ listError: new GalleryError('rate_limited', 'HTTP 429'), entries: mockEntries(3) });
    const errors = collect(document, 'vg-error');
    await mount(client);
    await expect.element(page.getByRole('alert')).toHaveTextContent('Too many requests right now');
    expect(errors.map((event) => [event.detail.action, event.detail.code])).toEqual([['load', 'rate_limited']]);
    client.options.listError = undefined;
    await userEvent.click(page.getByRole('button', { name: 'Try again' }));
    await expect.poll(() => cards(document.querySelector('video-gallery')!).length).toBe(3);
  });

  it('shows the empty state, and a way out of filters that match nothing', async () => {
    const element = await mount(new MockGalleryClient());
    await settled(element);
    await expect.element(page.getByText('No videos yet. Describe one to generate it.')).toBeVisible();
    element.favorites = true;
    await expect.element(page.getByText('No videos match these filters.')).toBeVisible();
    await userEvent.click(page.getByRole('button', { name: 'Clear filters' }));
    expect(element.hasAttribute('favorites')).toBe(false);
  });

  it('renders every card with badge, prompt, date or progress, duration and cost', async () => {
    const client = new MockGalleryClient({
      entries: [
        mockEntry({ id: 'ready', status: 'ready', request: { prompt: 'A ready clip', durationSeconds: 4 } }),
        mockEntry({ id: 'running', status: 'generating', progress: 0.45, submittedAt: new Date(Date.now() - 65_000).toISOString() }),
        mockEntry({ id: 'failed', status: 'failed' }),
      ],
    });
    const element = await mount(client);
    await settled(element);
    await expect.poll(() => $(element, '.card[data-id="ready"] [part~="meta"]').textContent).toContain('≈ $0.40');
    const ready = card(element, 'ready');
    expect($(ready, '[part~="badge"]').textContent).toBe('Ready');
    expect($(ready, '[part~="prompt"]').textContent).toBe('A ready clip');
    expect($(ready, '[part~="duration"]').textContent).toBe('0:02');
    expect($<HTMLImageElement>(ready, 'img[part="thumbnail"]').loading).toBe('lazy');
    const running = card(element, 'running');
    const bar = $(running, '[role="progressbar"]');
    expect(bar.getAttribute('aria-valuenow')).toBe('45');
    expect($(running, '[part~="meta"]').textContent).toMatch(/1:0\d elapsed · 45%/);
    const failed = card(element, 'failed');
    expect($(failed, '[part~="error"]').textContent).toBe('The provider refused this prompt under its content policy. Try rewording it.');
    expect($(failed, '[part~="retry-button"]').textContent).toBe('Retry');
  });
});


describe('<video-gallery> live updates', () => {
  it('re-renders only the card whose entry changed (keyed)', async () => {
    const client = new MockGalleryClient({ entries: [mockEntry({ id: 'a', status: 'generating', progress: 0.1 }), mockEntry({ id: 'b' }), mockEntry({ id: 'c' })] });
    const element = await mount(client);
    await settled(element);
    const before = { a: card(element, 'a'), b: card(element, 'b'), c: card(element, 'c') };
    const touched = new Set<string>();
    const observer = new MutationObserver((records) => {
      for (const record of records) {
        const node = record.target instanceof Element ? record.target : record.target.parentElement;
        const id = node?.closest<HTMLElement>('.card')?.dataset.id;
        if (id) touched.add(id);
      }
    });
    observer.observe(shadow(element), { subtree: true, childList: true, attributes: true, characterData: true });
    client.set({ ...client.entries[0]!, version: 2, progress: 0.8 });
    await expect.poll(() => card(element, 'a').querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow')).toBe('80');
    observer.disconnect();
    expect([...touched]).toEqual(['a']);
    expect(card(element, 'a')).toBe(before.a);
    expect(card(element, 'b')).toBe(before.b);
    expect(card(element, 'c')).toBe(before.c);

    // A new entry at the top moves the existing cards (same nodes, contents untouched) instead of rewriting them.
    touched.clear();
    observer.observe(shadow(element), { subtree: true, childList: true, characterData: true });
    client.set(mockEntry({ id: 'new', createdAt: '2099-01-01T00:00:00.000Z' }), 'create');
    await expect.poll(() => cardIds(element)).toEqual(['new', 'a', 'b', 'c']);
    observer.disconnect();
    expect(card(element, 'b')).toBe(before.b);
    expect(card(element, 'c')).toBe(before.c);
    expect([...touched].filter((id) => id !== 'new')).toEqual([]);
  });

  it('follows a real VideoGallery job from queued to a playable video', async () => {
    const { gallery, storage } = browserGallery();
    const element = await mount(gallery);
    await settled(element);
    const entry = await gallery.generate({ prompt: 'A lighthouse in a storm', durationSeconds: 4 });
    await expect.poll(() => cardIds(element)).toEqual([entry.id]);
    await expect.poll(() => card(element, entry.id).dataset.status, { timeout: 10_000 }).toBe('ready');
    expect(storage.keys()).toContain(`videos/${entry.id}.mp4`);
    await userEvent.click(card(element, entry.id));
    const player = await expect.poll(() => shadow(element).querySelector<HTMLVideoElement>('video[part="player"]')).toBeTruthy().then(() => $<HTMLVideoElement>(element, 'video[part="player"]'));
    expect(player.src).toMatch(/^blob:/);
    expect(player.controls).toBe(true);
    await expect.poll(() => player.readyState, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    expect(player.duration).toBeCloseTo(2, 0);
    expect(player.videoWidth).toBe(320);
    await gallery.close();
  });

  it('announces a job that finished', async () => {
    const client = new MockGalleryClient({ entries: [mockEntry({ id: 'a', status: 'processing', request: { prompt: 'Boat' } })] });
    const element = await mount(client);
    await settled(element);
    client.set({ ...client.entries[0]!, version: 2, status: 'ready' });
    await expect.poll(() => $(element, '.sr[role="status"]').textContent).toBe('Ready: Boat');
  });
});

describe('<video-gallery> filters, search and pages', () => {
  it('reflects the toolbar in attributes and queries the client with them', async () => {
    const client = new MockGalleryClient({ entries: [mockEntry({ id: 'r', status: 'ready' }), mockEntry({ id: 'f', status: 'failed' }), mockEntry({ id: 'q', status: 'queued' })] });
    const element = await mount(client);
    await settled(element);
    const changes = collect(element, 'vg-filter-change');
    await userEvent.selectOptions(page.getByRole('combobox', { name: 'Status' }), 'failed');
    expect(element.getAttribute('status')).toBe('failed');
    await expect.poll(() => cardIds(element)).toEqual(['f']);
    expect(client.calls.list.at(-1)).toMatchObject({ status: ['failed', 'cancelled'] });
    await userEvent.click(page.getByRole('button', { name: 'Favorites' }));
    expect(element.hasAttribute('favorites')).toBe(true);
    expect(client.calls.list.at(-1)).toMatchObject({ favorite: true });
    await userEvent.selectOptions(page.getByRole('combobox', { name: 'Sort' }), 'oldest');
    expect(element.getAttribute('sort')).toBe('oldest');
    expect(client.calls.list.at(-1)).toMatchObject({ sort: 'oldest' });
    expect(changes.map((event) => event.detail)).toEqual([
      { status: ['failed', 'cancelled'], favorites: false, sort: 'newest', q: '' },
      { status: ['failed', 'cancelled'], favorites: true, sort: 'newest', q: '' },
      { status: ['failed', 'cancelled'], favorites: true, sort: 'oldest', q: '' },
    ]);
  });

  it('takes filters from attributes', async () => {
    const client = new MockGalleryClient({ entries: [mockEntry({ id: 'r', status: 'ready' }), mockEntry({ id: 'g', status: 'generating' })] });
    const element = await mount(client, { status: 'active', sort: 'oldest', q: 'a' });
    await settled(element);
    expect(client.calls.list[0]).toMatchObject({ status: ['queued', 'submitting', 'generating', 'downloading', 'processing'], sort: 'oldest', q: 'a' });
    expect(cardIds(element)).toEqual(['g']);
    expect($<HTMLSelectElement>(element, 'select[part="status-filter"]').value).toBe('active');
  });

  it('debounces the search by 300 ms and reflects it in the q attribute', async () => {
    const client = new MockGalleryClient({ entries: [mockEntry({ id: 'boat', request: { prompt: 'A paper boat' } }), mockEntry({ id: 'bee', request: { prompt: 'A honeybee' } })] });
    const element = await mount(client);
    await settled(element);
    const calls = client.calls.list.length;
    const typedAt = performance.now();
    await userEvent.type(page.getByRole('searchbox', { name: 'Search prompts' }), 'boat');
    expect(element.q).toBe('');
    await expect.poll(() => element.getAttribute('q')).toBe('boat');
    expect(performance.now() - typedAt).toBeGreaterThanOrEqual(300);
    await expect.poll(() => cardIds(element)).toEqual(['boat']);
    expect(client.calls.list.length).toBe(calls + 1);
  });

  it('loads the next page with the Load more button', async () => {
    const client = new MockGalleryClient({ entries: mockEntries(12) });
    const element = await mount(client, { 'page-size': '5', 'no-infinite-scroll': '' });
    await settled(element);
    expect(element.controller.items).toHaveLength(5);
    await expect.element(page.getByText('5 of 12 videos')).toBeVisible();
    await userEvent.click(page.getByRole('button', { name: 'Load more' }));
    await expect.poll(() => element.controller.items.length).toBe(10);
    await userEvent.click(page.getByRole('button', { name: 'Load more' }));
    await expect.poll(() => element.controller.items.length).toBe(12);
    await element.updateComplete;
    expect(shadow(element).querySelector('[part="load-more"]')).toBeNull();
  });

  it('loads further pages by itself when the end comes into view (infinite scroll)', async () => {
    const client = new MockGalleryClient({ entries: mockEntries(30) });
    const element = await mount(client, { 'page-size': '10' });
    element.style.setProperty('--vg-max-height', '500px');
    await settled(element);
    await expect.poll(() => element.controller.items.length).toBeGreaterThan(10);
    element.scrollTop = element.scrollHeight;
    await expect.poll(() => element.controller.items.length).toBe(30);
  });

  it('keeps the DOM bounded with 10,000 entries and windows the rows while scrolling', async () => {
    const entries = mockEntries(10_000);
    const client = new MockGalleryClient({ entries });
    client.list = async () => ({ items: entries, total: entries.length, nextCursor: null });
    const element = await mount(client);
    element.style.setProperty('--vg-max-height', '800px');
    await settled(element);
    await expect.poll(() => cards(element).length).toBeGreaterThan(0);
    const grid = $(element, '[role="grid"]');
    expect(Number(grid.getAttribute('aria-colcount'))).toBe(4);
    expect(grid.getAttribute('aria-rowcount')).toBe('2500');
    expect(cards(element).length).toBeLessThanOrEqual(40);
    expect(shadow(element).querySelectorAll('*').length).toBeLessThan(2000);
    element.scrollTop = element.scrollHeight / 2;
    await expect.poll(() => cardIds(element).includes(entries[5000]!.id)).toBe(true);
    expect(cardIds(element)).not.toContain(entries[0]!.id);
    expect(cards(element).length).toBeLessThanOrEqual(48);
  });

  it('lays out 1 column when narrow, 2 to 3 when medium and 4 or more when wide (container queries)', async () => {
    const element = await mount(new MockGalleryClient({ entries: mockEntries(8) }));
    await settled(element);
    const columns = () => Number($(element, '[role="grid"]').getAttribute('aria-colcount'));
    for (const [width, expected] of [[400, 1], [600, 2], [900, 3], [1200, 4], [1600, 5]] as const) {
      element.style.width = `${width}px`;
      await expect.poll(columns).toBe(expected);
      const row = $(element, '.row');
      expect(getComputedStyle(row).gridTemplateColumns.split(' ')).toHaveLength(expected);
    }
  });
});

describe('<video-gallery> player dialog', () => {
  it('opens with Enter, traps focus, closes with Escape and gives focus back to the card', async () => {
    const client = new MockGalleryClient({ entries: [mockEntry({ id: 'a', request: { prompt: 'First clip' } }), mockEntry({ id: 'b' })] });
    const element = await mount(client);
    await settled(element);
    const opened = collect(element, 'vg-entry-open');
    card(element, 'a').focus();
    await userEvent.keyboard('{Enter}');
    const dialog = $<HTMLDialogElement>(element, 'dialog');
    await expect.poll(() => dialog.open).toBe(true);
    expect(opened.map((event) => event.detail.entry.id)).toEqual(['a']);
    await expect.element(page.getByRole('dialog', { name: 'First clip' })).toBeVisible();
    expect(dialog.contains(deepActiveElement())).toBe(true);
    for (let i = 0; i < 12; i++) {
      await userEvent.keyboard('{Tab}');
      expect(dialog.contains(deepActiveElement())).toBe(true);
    }
    await userEvent.keyboard('{Shift>}{Tab}{/Shift}');
    expect(dialog.contains(deepActiveElement())).toBe(true);
    await userEvent.keyboard('{Escape}');
    await expect.poll(() => dialog.open).toBe(false);
    await expect.poll(() => deepActiveElement()).toBe(card(element, 'a'));
  });

  it('closes on a click on the backdrop, not on one inside the dialog', async () => {
    const element = await mount(new MockGalleryClient({ entries: [mockEntry({ id: 'a' })] }));
    await settled(element);
    element.open('a');
    await element.updateComplete;
    const dialog = $<HTMLDialogElement>(element, 'dialog');
    await userEvent.click(dialog, { position: { x: 4, y: 4 } });
    expect(dialog.open).toBe(true);
    await userEvent.click(document.body, { position: { x: 2, y: 2 }, force: true });
    await expect.poll(() => dialog.open).toBe(false);
  });

  it('sizes the player for 16:9, 9:16 and 1:1', async () => {
    const client = new MockGalleryClient({
      entries: [
        mockEntry({ id: 'wide', video: { key: 'v1', contentType: 'video/mp4', bytes: 1, durationSeconds: 2, width: 1280, height: 720 } }),
        mockEntry({ id: 'tall', request: { aspectRatio: '9:16' }, video: { key: 'v2', contentType: 'video/mp4', bytes: 1, durationSeconds: 2, width: 720, height: 1280 } }),
        mockEntry({ id: 'square', request: { aspectRatio: '1:1' }, video: null }),
      ],
    });
    const element = await mount(client);
    await settled(element);
    const ratio = async (id: string) => {
      element.open(id);
      await element.updateComplete;
      const box = $(element, '.player').getBoundingClientRect();
      element.close();
      await element.updateComplete;
      return box.width / box.height;
    };
    expect(await ratio('wide')).toBeCloseTo(16 / 9, 1);
    expect(await ratio('tall')).toBeCloseTo(9 / 16, 1);
    expect(await ratio('square')).toBeCloseTo(1, 1);
  });

  it('deletes only after confirmation', async () => {
    const client = new MockGalleryClient({ entries: [mockEntry({ id: 'a' }), mockEntry({ id: 'b' })] });
    const element = await mount(client);
    await settled(element);
    const deleted = collect(element, 'vg-entry-delete');
    await userEvent.click(card(element, 'a'));
    await userEvent.click(page.getByRole('button', { name: 'Delete' }));
    await expect.element(page.getByText('Delete this video for good?')).toBeVisible();
    expect(client.calls.delete).toEqual([]);
    expect(deepActiveElement()?.textContent).toBe('Keep');
    await userEvent.click(page.getByRole('button', { name: 'Keep' }));
    expect(client.calls.delete).toEqual([]);
    await userEvent.click(page.getByRole('button', { name: 'Delete' }));
    await userEvent.click(page.getByRole('group', { name: 'Delete this video for good?' }).getByRole('button', { name: 'Delete' }));
    await expect.poll(() => cardIds(element)).toEqual(['b']);
    expect(client.calls.delete).toEqual(['a']);
    expect(deleted.map((event) => event.detail.entry.id)).toEqual(['a']);
    expect($<HTMLDialogElement>(element, 'dialog').open).toBe(false);
  });

  it('publishes with a caption, toggles favorite, and offers the download', async () => {
    const client = new MockGalleryClient({ entries: [mockEntry({ id: 'a', request: { prompt: 'A paper boat at dusk' } })], videoUrl: '/video.mp4' });
    const element = await mount(client);
    await settled(element);
    const updates = collect(element, 'vg-entry-update');
    element.open('a');
    await element.updateComplete;
    const download = page.getByRole('link', { name: 'Download' });
    await expect.element(download).toHaveAttribute('download', 'a-paper-boat-at-dusk.mp4');
    await userEvent.fill(page.getByRole('textbox', { name: 'Caption' }), 'Dusk on the lake');
    await userEvent.click(page.getByRole('button', { name: 'Publish' }));
    await expect.poll(() => client.calls.update).toEqual([{ id: 'a', patch: { caption: 'Dusk on the lake', visibility: 'published' } }]);
    await expect.element(page.getByRole('button', { name: 'Unpublish' })).toBeVisible();
    const favorite = page.getByRole('dialog').getByRole('button', { name: 'Favorite', exact: true });
    await userEvent.click(favorite);
    await expect.element(favorite).toHaveAttribute('aria-pressed', 'true');
    await expect.poll(() => updates.map((event) => event.detail.patch)).toEqual([{ caption: 'Dusk on the lake', visibility: 'published' }, { favorite: true }]);
  });
});

describe('<video-gallery> card actions and keyboard', () => {
  it('toggles a favorite at once and keeps it when the server agrees, reverts when it fails', async () => {
    const client = new MockGalleryClient({ entries: [mockEntry({ id: 'a' })], latencyMs: 30 });
    const element = await mount(client);
    await settled(element);
    const star = () => $(card(element, 'a'), '[part="favorite-button"]');
    await userEvent.click(star());
    expect(star().getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => client.calls.update).toEqual([{ id: 'a', patch: { favorite: true } }]);
    const failing = vi.spyOn(client, 'update').mockImplementationOnce(async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      throw new GalleryError('forbidden', 'nope');
    });
    const errors = collect(element, 'vg-error');
    await userEvent.click(star());
    expect(star().getAttribute('aria-pressed')).toBe('false');
    await expect.poll(() => star().getAttribute('aria-pressed')).toBe('true');
    expect(failing).toHaveBeenCalled();
    expect(errors[0]?.detail).toMatchObject({ action: 'update', code: 'forbidden' });
  });

  it('retries a failed job from its card', async () => {
    const client = new MockGalleryClient({ entries: [mockEntry({ id: 'f', status: 'failed' })] });
    const element = await mount(client);
    await settled(element);
    const retried = collect(element, 'vg-entry-retry');
    await userEvent.click($(card(element, 'f'), '[part="retry-button"]'));
    await expect.poll(() => card(element, 'f').dataset.status).toBe('queued');
    expect(client.calls.retry).toEqual(['f']);
    expect(retried).toHaveLength(1);
  });

  it('moves focus across the grid with arrow keys, Home and End (roving tabindex)', async () => {
    const entries = mockEntries(10);
    const element = await mount(new MockGalleryClient({ entries }));
    await settled(element);
    const ids = entries.map((e) => e.id);
    const tabbable = () => cards(element).filter((c) => c.tabIndex === 0).map((c) => c.dataset.id);
    expect(tabbable()).toEqual([ids[0]]);
    card(element, ids[0]!).focus();
    await userEvent.keyboard('{ArrowRight}');
    await expect.poll(() => (deepActiveElement() as HTMLElement | null)?.dataset?.id).toBe(ids[1]);
    expect(tabbable()).toEqual([ids[1]]);
    await userEvent.keyboard('{ArrowDown}');
    await expect.poll(() => (deepActiveElement() as HTMLElement | null)?.dataset?.id).toBe(ids[5]);
    await userEvent.keyboard('{End}');
    await expect.poll(() => (deepActiveElement() as HTMLElement | null)?.dataset?.id).toBe(ids[7]);
    await userEvent.keyboard('{ArrowLeft}');
    await expect.poll(() => (deepActiveElement() as HTMLElement | null)?.dataset?.id).toBe(ids[6]);
    await userEvent.keyboard('{Home}');
    await expect.poll(() => (deepActiveElement() as HTMLElement | null)?.dataset?.id).toBe(ids[4]);
    await userEvent.keyboard('{ArrowUp}');
    await expect.poll(() => (deepActiveElement() as HTMLElement | null)?.dataset?.id).toBe(ids[0]);
    await userEvent.keyboard('{Tab}');
    expect((deepActiveElement() as HTMLElement).getAttribute('part')).toBe('favorite-button');
  });

  it('exposes a grid with rows, cells, named controls and a labelled progress bar', async () => {
    const element = await mount(new MockGalleryClient({ entries: [mockEntry({ status: 'generating', progress: 0.3 }), mockEntry({ status: 'failed' })] }));
    await settled(element);
    await expect.element(page.getByRole('grid', { name: 'Videos' })).toBeVisible();
    expect(page.getByRole('row').all()).toHaveLength(1);
    expect(page.getByRole('gridcell').all().map((cell) => cell.element().getAttribute('data-id'))).toEqual(cardIds(element));
    await expect.element(page.getByRole('progressbar', { name: 'Generating' })).toHaveAttribute('aria-valuetext', '30%');
    expect(page.getByRole('button', { name: 'Favorite', exact: true }).all()).toHaveLength(2);
    await expect.element(page.getByRole('button', { name: 'Favorites', exact: true })).toHaveAttribute('aria-pressed', 'false');
    await expect.element(page.getByRole('button', { name: 'Retry' })).toBeVisible();
    await expect.element(page.getByRole('searchbox', { name: 'Search prompts' })).toBeVisible();
    for (const button of $$(element, 'button')) expect(button.textContent!.trim() || button.getAttribute('aria-label')).toBeTruthy();
  });
});

describe('<video-gallery> previews, i18n and themes', () => {
  it('plays a muted preview on hover', async () => {
    const element = await mount(new MockGalleryClient({ entries: [mockEntry({ id: 'a' })] }));
    await settled(element);
    expect(shadow(element).querySelector('video[part="preview"]')).toBeNull();
    await userEvent.hover(card(element, 'a'));
    const preview = await expect.poll(() => shadow(element).querySelector<HTMLVideoElement>('video[part="preview"]')).toBeTruthy()
      .then(() => $<HTMLVideoElement>(element, 'video[part="preview"]'));
    expect(preview.muted).toBe(true);
    expect(preview.loop).toBe(true);
    await userEvent.unhover(card(element, 'a'));
    await userEvent.hover(page.getByRole('searchbox'));
    await expect.poll(() => shadow(element).querySelector('video[part="preview"]')).toBeNull();
  });

  it('shows no moving previews when reduced motion is asked for', async () => {
    const original = window.matchMedia;
    window.matchMedia = ((query: string) => ({ ...original.call(window, query), matches: query.includes('reduce') })) as typeof window.matchMedia;
    try {
      const element = await mount(new MockGalleryClient({ entries: [mockEntry({ id: 'a' })] }), { 'autoplay-in-view': '' });
      await settled(element);
      await userEvent.hover(card(element, 'a'));
      await element.updateComplete;
      expect(shadow(element).querySelector('video')).toBeNull();
    } finally {
      window.matchMedia = original;
    }
  });

  it('autoplay-in-view plays the previews on screen and pauses those off screen', async () => {
    const video = URL.createObjectURL(new Blob([await sample()], { type: 'video/mp4' }));
    const client = new MockGalleryClient({ entries: mockEntries(24, ['ready']), videoUrl: video });
    const element = await mount(client, { 'autoplay-in-view': '' });
    element.style.setProperty('--vg-max-height', '420px');
    await settled(element);
    await expect.poll(() => $$<HTMLVideoElement>(element, 'video[data-autoplay]').length).toBeGreaterThan(4);
    const inView = (v: HTMLVideoElement) => {
      const box = v.getBoundingClientRect();
      const host = element.getBoundingClientRect();
      return box.top >= host.top && box.bottom <= host.bottom;
    };
    await expect.poll(() => $$<HTMLVideoElement>(element, 'video[data-autoplay]').filter(inView).every((v) => !v.paused), { timeout: 10_000 }).toBe(true);
    const offscreen = $$<HTMLVideoElement>(element, 'video[data-autoplay]').filter((v) => !inView(v));
    expect(offscreen.length).toBeGreaterThan(0);
    expect(offscreen.every((v) => v.paused)).toBe(true);
    URL.revokeObjectURL(video);
  });

  it('takes replacement strings (i18n)', async () => {
    const element = document.createElement('video-gallery');
    element.strings = { loadMore: 'Mehr laden', status: { ready: 'Fertig' }, count: (shown, total) => `${shown} von ${total}` };
    element.setAttribute('page-size', '1');
    element.setAttribute('no-infinite-scroll', '');
    element.client = new MockGalleryClient({ entries: mockEntries(2, ['ready']) });
    document.body.append(element);
    await settled(element);
    await expect.element(page.getByRole('button', { name: 'Mehr laden' })).toBeVisible();
    await expect.element(page.getByText('1 von 2')).toBeVisible();
    expect($(cards(element)[0]!, '[part~="badge"]').textContent).toBe('Fertig');
    expect($(cards(element)[0]!, '[part="favorite-button"]').getAttribute('aria-label')).toBe('Favorite');
  });

  it('switches to the dark theme with the theme attribute and honours --vg-* custom properties', async () => {
    const element = await mount(new MockGalleryClient({ entries: [mockEntry({ id: 'a' })] }), { theme: 'light' });
    await settled(element);
    const surface = () => getComputedStyle(card(element, 'a')).backgroundColor;
    expect(surface()).toBe('rgb(244, 244, 245)');
    element.theme = 'dark';
    await element.updateComplete;
    expect(surface()).toBe('rgb(39, 39, 42)');
    element.style.setProperty('--vg-color-surface', 'rgb(1, 2, 3)');
    expect(surface()).toBe('rgb(1, 2, 3)');
  });
});

async function sample(): Promise<Uint8Array<ArrayBuffer>> {
  const { sampleVideoBytes } = await import('../../../providers/src/testing/sample-video.js');
  return new Uint8Array(sampleVideoBytes());
}

export type { GalleryItem };

describe('<video-gallery src>', () => {
  it('talks to the HTTP API through a RemoteGallery made from src', async () => {
    const entry = mockEntry({ id: 'remote-1', request: { prompt: 'From the server' } });
    const requests: string[] = [];
    const fetchStub = vi.spyOn(window, 'fetch').mockImplementation(async (input) => {
      const url = new URL(String(input instanceof Request ? input.url : input), location.href);
      requests.push(url.pathname + url.search);
      if (url.pathname === '/api/gallery/generations') return Response.json({ items: [entry], total: 1, nextCursor: null });
      if (url.pathname === '/api/gallery/capabilities') return Response.json({ defaultProvider: 'mock', providers: [] });
      if (url.pathname === '/api/gallery/events') {
        return new Response(new ReadableStream({ start() {} }), { headers: { 'content-type': 'text/event-stream' } });
      }
      return new Response('{"error":{"code":"not_found","message":"no"}}', { status: 404, headers: { 'content-type': 'application/json' } });
    });
    try {
      const element = document.createElement('video-gallery');
      element.setAttribute('src', '/api/gallery');
      element.setAttribute('page-size', '12');
      document.body.append(element);
      await expect.poll(() => cardIds(element)).toEqual(['remote-1']);
      expect(requests).toContain('/api/gallery/generations?limit=12&sort=newest');
      await expect.poll(() => requests.some((r) => r.startsWith('/api/gallery/events'))).toBe(true);
      expect($<HTMLImageElement>(card(element, 'remote-1'), 'img[part="thumbnail"]').getAttribute('src')).toBe('/api/gallery/generations/remote-1/thumbnail?v=1');
      element.remove();
    } finally {
      fetchStub.mockRestore();
    }
  });
});
