// Automated accessibility audits (axe-core, WCAG 2.1 A and AA rules, color contrast included) of both elements in
// each of their states, in light and dark themes, in real Chromium. The keyboard and focus behaviour has its own
// tests next to each element; this checks roles, names, labels, ARIA use and contrast across the board.
import axe from 'axe-core';
import { GalleryError } from '@video-gallery/core/client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import './index.js';
import { MockGalleryClient, MOCK_CAPABILITIES, MOCK_FIRST_LAST_MODEL, mockEntries } from './stories/mock-client.js';
import { axeOptions, describeViolations } from '../../../scripts/axe.mjs';
import { $ } from './test-support.js';
import type { GenerateFormElement } from './generate-form/generate-form.component.js';
import type { VideoGalleryElement } from './video-gallery/video-gallery.component.js';

/** axe's violations on the page, one readable line per failing node. */
async function violations(): Promise<string[]> {
  return describeViolations(await axe.run(document, axeOptions as axe.RunOptions));
}

async function gallery(client: MockGalleryClient, theme: string): Promise<VideoGalleryElement> {
  const element = document.createElement('video-gallery');
  element.setAttribute('theme', theme);
  element.client = client;
  document.body.append(element);
  await element.updateComplete;
  return element;
}

async function form(client: MockGalleryClient, theme: string): Promise<GenerateFormElement> {
  const element = document.createElement('generate-form');
  element.setAttribute('theme', theme);
  element.client = client;
  document.body.append(element);
  await expect.poll(() => element.values !== null || element.shadowRoot?.querySelector('[role="alert"]') != null).toBe(true);
  await element.updateComplete;
  return element;
}

beforeAll(async () => {
  await page.viewport(1280, 900);
});

afterEach(() => {
  document.body.replaceChildren();
  document.body.style.background = '';
});

describe('the audit itself', () => {
  it('sees inside open shadow roots and reports what it finds (a check that can fail)', async () => {
    class Broken extends HTMLElement {
      constructor() {
        super();
        this.attachShadow({ mode: 'open' }).innerHTML = '<button></button><img src="data:,">';
      }
    }
    if (!customElements.get('vg-a11y-broken')) customElements.define('vg-a11y-broken', Broken);
    document.body.append(document.createElement('vg-a11y-broken'));
    const found = await violations();
    expect(found.some((line) => line.startsWith('button-name'))).toBe(true);
    expect(found.some((line) => line.startsWith('image-alt'))).toBe(true);
  });
});

describe.each(['light', 'dark'])('accessibility audit (axe-core, WCAG 2.1 AA), %s theme', (theme) => {
  beforeAll(() => {
    // The page behind the elements, as an app would set it for the theme (contrast is checked against it).
    document.documentElement.style.colorScheme = theme;
  });

  const page_ = () => {
    document.body.style.background = theme === 'dark' ? '#09090b' : '#ffffff';
  };

  it('a grid with ready, running, queued and failed cards', async () => {
    page_();
    const element = await gallery(new MockGalleryClient({ entries: mockEntries(8) }), theme);
    await expect.poll(() => element.controller.state).toBe('ready');
    await element.updateComplete;
    expect(await violations()).toEqual([]);
  });

  it('the player dialog, and its delete confirmation', async () => {
    page_();
    const element = await gallery(new MockGalleryClient({ entries: mockEntries(4) }), theme);
    await expect.poll(() => element.controller.state).toBe('ready');
    element.open(element.controller.items[0]!.id);
    await element.updateComplete;
    await expect.poll(() => $<HTMLDialogElement>(element, 'dialog').open).toBe(true);
    expect(await violations()).toEqual([]);
    $<HTMLButtonElement>(element, 'dialog button[data-action="delete"]').click();
    await element.updateComplete;
    expect(await violations()).toEqual([]);
  });

  it('the empty state and the load-error state', async () => {
    page_();
    const empty = await gallery(new MockGalleryClient({ entries: [] }), theme);
    await expect.poll(() => empty.controller.state).toBe('ready');
    await empty.updateComplete;
    expect(await violations()).toEqual([]);
    document.body.replaceChildren();
    const failing = await gallery(new MockGalleryClient({ listError: new GalleryError('rate_limited', 'Slow down.') }), theme);
    await expect.poll(() => failing.controller.state).toBe('error');
    await failing.updateComplete;
    expect(await violations()).toEqual([]);
  });

  it('the form: text with its validation errors shown, image, first + last frame', async () => {
    page_();
    const capabilities = { ...MOCK_CAPABILITIES, providers: MOCK_CAPABILITIES.providers.map((p, i) => (i === 0 ? { ...p, models: [...p.models, MOCK_FIRST_LAST_MODEL] } : p)) };
    const element = await form(new MockGalleryClient({ capabilities }), theme);
    expect(await violations()).toEqual([]);
    // Submitting the empty form shows the field errors.
    $<HTMLFormElement>(element, 'form').requestSubmit();
    await element.updateComplete;
    expect(await violations()).toEqual([]);
    element.setValues({ mode: 'image' });
    await element.updateComplete;
    expect(await violations()).toEqual([]);
    element.model = MOCK_FIRST_LAST_MODEL.id;
    await element.updateComplete;
    element.setValues({ mode: 'first-last-frame' });
    await element.updateComplete;
    expect(element.shadowRoot!.querySelectorAll('[part="dropzone"]')).toHaveLength(2);
    expect(await violations()).toEqual([]);
  });

  it('the form when the models cannot be loaded', async () => {
    page_();
    const element = await form(new MockGalleryClient({ capabilitiesError: new GalleryError('auth_failed', 'No.') }), theme);
    await element.updateComplete;
    expect(await violations()).toEqual([]);
  });
});
