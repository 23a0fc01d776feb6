import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { GalleryError } from '@video-gallery/core/client';
import { html } from 'lit';
import { expect, userEvent, waitFor } from 'storybook/test';
import { sampleVideoBytes } from '../../../providers/src/testing/sample-video.js';
import '../index.js';
import { MockGalleryClient, mockEntries, mockEntry, type MockClientOptions } from '../stories/mock-client.js';
import type { VideoGalleryElement } from './video-gallery.component.js';

/** A real 2 s MP4 (H.264 + AAC) as an object URL, so previews and the player play offline. */
const sampleVideo = URL.createObjectURL(new Blob([new Uint8Array(sampleVideoBytes())], { type: 'video/mp4' }));

interface Args {
  status: string;
  favorites: boolean;
  sort: 'newest' | 'oldest';
  q: string;
  theme: string;
  autoplayInView: boolean;
  client: MockClientOptions;
}

function gallery(canvas: HTMLElement): VideoGalleryElement {
  const element = canvas.querySelector('video-gallery');
  if (!element) throw new Error('no <video-gallery> rendered');
  return element;
}

function inside<T extends Element = HTMLElement>(element: Element, selector: string): T {
  const found = element.shadowRoot!.querySelector<T>(selector);
  if (!found) throw new Error(`nothing matches ${selector}`);
  return found;
}

const meta: Meta<Args> = {
  title: 'Elements/video-gallery',
  component: 'video-gallery',
  args: { status: '', favorites: false, sort: 'newest', q: '', theme: '', autoplayInView: false, client: {} },
  render: (args) => html`<video-gallery
      .client=${new MockGalleryClient({ videoUrl: sampleVideo, ...args.client })}
      status=${args.status} ?favorites=${args.favorites} sort=${args.sort} q=${args.q} theme=${args.theme}
      ?autoplay-in-view=${args.autoplayInView} style="--vg-max-height: 640px"></video-gallery>`,
};
export default meta;

type Story = StoryObj<Args>;

export const Default: Story = {
  args: {
    client: {
      entries: [
        mockEntry({ status: 'generating', progress: 0.35, submittedAt: new Date(Date.now() - 42_000).toISOString() }),
        mockEntry({ status: 'queued' }),
        mockEntry({ status: 'failed' }),
        ...mockEntries(9, ['ready']),
      ],
    },
  },
  play: async ({ canvasElement }) => {
    const element = gallery(canvasElement);
    await waitFor(() => expect(element.shadowRoot!.querySelectorAll('.card')).toHaveLength(12));
    await expect(inside(element, '[role="grid"]').getAttribute('aria-label')).toBe('Videos');
    await expect(inside(element, '.card[data-status="generating"] [role="progressbar"]').getAttribute('aria-valuenow')).toBe('35');
    await expect(inside(element, '.card[data-status="failed"] [part~="error"]').textContent).toContain('content policy');
  },
};

export const Loading: Story = {
  args: { client: { hangList: true } },
  play: async ({ canvasElement }) => {
    const element = gallery(canvasElement);
    await waitFor(() => expect(inside(element, '[part~="loading"]').textContent).toContain('Loading videos'));
  },
};

export const Empty: Story = {
  args: { client: { entries: [] } },
  play: async ({ canvasElement }) => {
    const element = gallery(canvasElement);
    await waitFor(() => expect(inside(element, '[part~="empty"]').textContent).toContain('No videos yet'));
  },
};

export const NoMatches: Story = {
  args: { favorites: true, client: { entries: mockEntries(4, ['ready']) } },
  play: async ({ canvasElement }) => {
    const element = gallery(canvasElement);
    await waitFor(() => expect(inside(element, '[part~="empty"]').textContent).toContain('No videos match'));
    await userEvent.click(inside(element, '[part~="empty"] button'));
    await waitFor(() => expect(element.shadowRoot!.querySelectorAll('.card')).toHaveLength(4));
    await expect(element.hasAttribute('favorites')).toBe(false);
  },
};

export const LoadError: Story = {
  args: { client: { listError: new GalleryError('storage_failed', 'HTTP 503'), entries: mockEntries(3) } },
  play: async ({ canvasElement }) => {
    const element = gallery(canvasElement);
    await waitFor(() => expect(inside(element, '[part~="error-state"]').textContent).toContain('could not be loaded'));
    (element.client as MockGalleryClient).options.listError = undefined;
    await userEvent.click(inside(element, '[part~="error-state"] button'));
    await waitFor(() => expect(element.shadowRoot!.querySelectorAll('.card')).toHaveLength(3));
  },
};

export const LiveProgress: Story = {
  args: { client: { entries: [mockEntry({ id: 'live', status: 'queued', request: { prompt: 'A live job, step by step' } })] } },
  play: async ({ canvasElement }) => {
    const element = gallery(canvasElement);
    const client = element.client as MockGalleryClient;
    await waitFor(() => expect(inside(element, '.card[data-id="live"]').dataset.status).toBe('queued'));
    const steps = [{ status: 'submitting' }, { status: 'generating', progress: 0.2 }, { status: 'generating', progress: 0.7 }, { status: 'downloading' }, { status: 'processing' }] as const;
    let version = 1;
    for (const step of steps) client.set({ ...client.entries[0]!, ...step, version: ++version });
    await waitFor(() => expect(inside(element, '.card[data-id="live"]').dataset.status).toBe('processing'));
    const ready = mockEntry({ status: 'ready' });
    client.set({ ...client.entries[0]!, status: 'ready', version: ++version, video: ready.video, thumbnail: ready.thumbnail, progress: null });
    await waitFor(() => expect(inside(element, '.card[data-id="live"] [part~="badge"]').textContent).toBe('Ready'));
  },
};

export const Failed: Story = {
  args: { status: 'failed', client: { entries: [mockEntry({ id: 'bad', status: 'failed' }), mockEntry({ status: 'cancelled' }), ...mockEntries(3, ['ready'])] } },
  play: async ({ canvasElement }) => {
    const element = gallery(canvasElement);
    await waitFor(() => expect(element.shadowRoot!.querySelectorAll('.card')).toHaveLength(2));
    await userEvent.click(inside(element, '.card[data-id="bad"] [part="retry-button"]'));
    await waitFor(() => expect((element.client as MockGalleryClient).calls.retry).toEqual(['bad']));
  },
};

export const PlayerDialog: Story = {
  args: { client: { entries: [mockEntry({ id: 'play', request: { prompt: 'A paper boat drifting across a calm lake at sunset' } }), ...mockEntries(3, ['ready'])] } },
  play: async ({ canvasElement }) => {
    const element = gallery(canvasElement);
    await waitFor(() => expect(inside(element, '.card[data-id="play"]')).toBeTruthy());
    inside(element, '.card[data-id="play"]').focus();
    await userEvent.keyboard('{Enter}');
    const dialog = inside<HTMLDialogElement>(element, 'dialog');
    await waitFor(() => expect(dialog.open).toBe(true));
    const player = inside<HTMLVideoElement>(element, 'video[part="player"]');
    await expect(player.controls).toBe(true);
    await expect(inside(element, '[part="download"]').getAttribute('download')).toBe('a-paper-boat-drifting-across-a-calm-lake-at-sunset.mp4');
    await userEvent.click(inside(element, '[part="close-button"]'));
    await waitFor(() => expect(dialog.open).toBe(false));
    await waitFor(() => expect(element.shadowRoot!.activeElement).toBe(inside(element, '.card[data-id="play"]')));
  },
};

export const ManyEntries: Story = {
  name: '10,000 entries (virtualized)',
  args: { client: { entries: mockEntries(10_000) } },
  render: (args) => {
    const client = new MockGalleryClient({ videoUrl: sampleVideo, ...args.client });
    client.list = async () => ({ items: client.entries, total: client.entries.length, nextCursor: null });
    return html`<video-gallery .client=${client} style="--vg-max-height: 640px"></video-gallery>`;
  },
  play: async ({ canvasElement }) => {
    const element = gallery(canvasElement);
    await waitFor(() => expect(element.shadowRoot!.querySelectorAll('.card').length).toBeGreaterThan(0));
    await expect(element.shadowRoot!.querySelectorAll('.card').length).toBeLessThan(60);
    await expect(element.shadowRoot!.querySelectorAll('*').length).toBeLessThan(2000);
  },
};

export const AutoplayInView: Story = {
  args: { autoplayInView: true, client: { entries: mockEntries(12, ['ready']) } },
  play: async ({ canvasElement }) => {
    const element = gallery(canvasElement);
    await waitFor(() => expect(element.shadowRoot!.querySelectorAll('video[data-autoplay]').length).toBeGreaterThan(0));
  },
};

export const DarkTheme: Story = {
  args: { theme: 'dark', client: { entries: [mockEntry({ status: 'generating', progress: 0.6 }), mockEntry({ status: 'failed' }), ...mockEntries(6, ['ready'])] } },
  decorators: [(story) => html`<div style="background:#09090b;padding:16px">${story()}</div>`],
  play: async ({ canvasElement }) => {
    const element = gallery(canvasElement);
    await waitFor(() => expect(element.shadowRoot!.querySelectorAll('.card').length).toBe(8));
    await expect(getComputedStyle(inside(element, '.card')).backgroundColor).toBe('rgb(39, 39, 42)');
  },
};

export const Translated: Story = {
  args: { client: { entries: mockEntries(3, ['ready', 'generating', 'failed']) } },
  render: (args) => html`<video-gallery lang="de" .client=${new MockGalleryClient({ videoUrl: sampleVideo, ...args.client })}
      .strings=${{
        gallery: 'Videos', search: 'Prompts durchsuchen', filterStatus: 'Status', statusAll: 'Alle', statusActive: 'In Arbeit',
        statusReady: 'Fertig', statusFailed: 'Fehlgeschlagen', favoritesOnly: 'Favoriten', sort: 'Sortierung', newest: 'Neueste zuerst',
        oldest: 'Älteste zuerst', favorite: 'Favorit', retry: 'Erneut versuchen', count: (shown: number, total: number) => `${shown} von ${total} Videos`,
        status: { ready: 'Fertig', generating: 'Wird erstellt', failed: 'Fehlgeschlagen' },
        errors: { content_policy: 'Der Anbieter hat diesen Prompt abgelehnt.' },
      }}></video-gallery>`,
  play: async ({ canvasElement }) => {
    const element = gallery(canvasElement);
    await waitFor(() => expect(inside(element, '[part="count"]').textContent).toBe('3 von 3 Videos'));
    await expect(inside(element, '.card[data-status="failed"] [part~="error"]').textContent).toBe('Der Anbieter hat diesen Prompt abgelehnt.');
  },
};

export const WithGenerateForm: Story = {
  args: { client: { entries: mockEntries(4, ['ready']) } },
  render: (args) => html`<video-gallery .client=${new MockGalleryClient({ videoUrl: sampleVideo, ...args.client })} style="--vg-max-height: 800px">
      <generate-form></generate-form>
    </video-gallery>`,
  play: async ({ canvasElement }) => {
    const element = gallery(canvasElement);
    const form = canvasElement.querySelector('generate-form')!;
    await waitFor(() => expect(form.shadowRoot!.querySelector('textarea[name="prompt"]')).toBeTruthy());
    await userEvent.type(form.shadowRoot!.querySelector('textarea[name="prompt"]')!, 'A red kite over green hills');
    await userEvent.click(form.shadowRoot!.querySelector('button[type="submit"]')!);
    await waitFor(() => expect(element.controller.items[0]?.request.prompt).toBe('A red kite over green hills'));
  },
};
