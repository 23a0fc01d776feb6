import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { GalleryError } from '@video-gallery/core/client';
import { html } from 'lit';
import { expect, userEvent, waitFor } from 'storybook/test';
import '../index.js';
import { MockGalleryClient, MOCK_FIRST_LAST_MODEL, MOCK_TEXT_ONLY_MODEL, type MockClientOptions } from '../stories/mock-client.js';
import type { GenerateFormElement } from './generate-form.component.js';

interface Args {
  theme: string;
  client: MockClientOptions;
}

function form(canvas: HTMLElement): GenerateFormElement {
  const element = canvas.querySelector('generate-form');
  if (!element) throw new Error('no <generate-form> rendered');
  return element;
}

function inside<T extends Element = HTMLElement>(element: Element, selector: string): T {
  const found = element.shadowRoot!.querySelector<T>(selector);
  if (!found) throw new Error(`nothing matches ${selector}`);
  return found;
}

async function ready(element: GenerateFormElement): Promise<void> {
  await waitFor(() => expect(element.shadowRoot!.querySelector('textarea[name="prompt"]')).toBeTruthy());
}

const meta: Meta<Args> = {
  title: 'Elements/generate-form',
  component: 'generate-form',
  args: { theme: '', client: {} },
  render: (args) => html`<generate-form style="max-width: 640px" theme=${args.theme} .client=${new MockGalleryClient(args.client)}></generate-form>`,
};
export default meta;

type Story = StoryObj<Args>;

export const TextToVideo: Story = {
  play: async ({ canvasElement }) => {
    const element = form(canvasElement);
    await ready(element);
    const submit = inside<HTMLButtonElement>(element, 'button[type="submit"]');
    await expect(submit.disabled).toBe(true);
    await userEvent.type(inside(element, 'textarea[name="prompt"]'), 'A paper boat drifting across a calm lake at sunset');
    await expect(submit.disabled).toBe(false);
    await expect(inside(element, '[part="cost"]').textContent).toBe('Estimated cost: $0.40');
    await userEvent.click(submit);
    const client = element.currentClient as MockGalleryClient;
    await waitFor(() => expect(client.calls.generate).toHaveLength(1));
    await expect(client.calls.generate[0]!.idempotencyKey).toBeTruthy();
  },
};

export const ImageToVideo: Story = {
  play: async ({ canvasElement }) => {
    const element = form(canvasElement);
    await ready(element);
    await userEvent.click(inside(element, 'input[name="mode"][value="image"]'));
    await waitFor(() => expect(inside(element, '[part="dropzone"]')).toBeTruthy());
    const input = inside<HTMLInputElement>(element, 'input[type="file"]');
    await userEvent.upload(input, new File([new Uint8Array(1024 * 1024 + 1)], 'huge.png', { type: 'image/png' }));
    await waitFor(() => expect(inside(element, '#image-error').textContent).toBe('The image is too large; the limit is 1 MB.'));
    await userEvent.upload(input, new File([new Uint8Array(64)], 'frame.png', { type: 'image/png' }));
    await waitFor(() => expect(inside<HTMLImageElement>(element, 'img[part="preview"]').src).toMatch(/^blob:/));
  },
};

export const FirstLastFrame: Story = {
  args: { client: { capabilities: { defaultProvider: 'mock', providers: [{ id: 'mock', models: [MOCK_FIRST_LAST_MODEL] }] } } },
  play: async ({ canvasElement }) => {
    const element = form(canvasElement);
    await ready(element);
    await userEvent.click(inside(element, 'input[name="mode"][value="first-last-frame"]'));
    await waitFor(() => expect(element.shadowRoot!.querySelectorAll('[part="dropzone"]')).toHaveLength(2));
    await expect(inside(element, '#image-label').textContent).toBe('First frame');
    await expect(inside(element, '#lastFrame-label').textContent).toBe('Last frame');
    await userEvent.upload(inside<HTMLInputElement>(element, 'input[name="lastFrame"]'), new File([new Uint8Array(64)], 'last.png', { type: 'image/png' }));
    await waitFor(() => expect(inside<HTMLImageElement>(element, '[data-field="lastFrame"] img[part="preview"]').src).toMatch(/^blob:/));
  },
};

export const TextOnlyModel: Story = {
  args: { client: { capabilities: { defaultProvider: 'mock', providers: [{ id: 'mock', models: [MOCK_TEXT_ONLY_MODEL] }] } } },
  play: async ({ canvasElement }) => {
    const element = form(canvasElement);
    await ready(element);
    await expect(element.shadowRoot!.querySelector('[part="modes"]')).toBeNull();
    await expect(element.shadowRoot!.querySelector('[part="more"]')).toBeNull();
    await expect(element.shadowRoot!.querySelector('select[name="provider"]')).toBeNull();
  },
};

export const ValidationErrors: Story = {
  play: async ({ canvasElement }) => {
    const element = form(canvasElement);
    await ready(element);
    await userEvent.type(inside(element, 'textarea[name="prompt"]'), 'x'.repeat(201));
    await waitFor(() => expect(inside(element, '#prompt-error').textContent).toBe('Use at most 200 characters.'));
    await userEvent.selectOptions(inside(element, 'select[name="resolution"]'), '1080p');
    await waitFor(() => expect(inside(element, '#durationSeconds-error').textContent).toBe('1080p clips are 8 s long'));
    await expect(inside<HTMLButtonElement>(element, 'button[type="submit"]').disabled).toBe(true);
  },
};

export const ServerFieldError: Story = {
  args: { client: { generateErrors: [new GalleryError('invalid_input', 'prompt: the provider found the prompt unclear.', { field: 'prompt', retryable: false })] } },
  play: async ({ canvasElement }) => {
    const element = form(canvasElement);
    await ready(element);
    await userEvent.type(inside(element, 'textarea[name="prompt"]'), 'Something');
    await userEvent.click(inside(element, 'button[type="submit"]'));
    await waitFor(() => expect(inside(element, '#prompt-error').textContent).toBe('the provider found the prompt unclear.'));
    await expect(inside(element, 'textarea[name="prompt"]').getAttribute('aria-invalid')).toBe('true');
  },
};

export const Submitting: Story = {
  args: { client: { latencyMs: 60_000 } },
  render: (args) => {
    const client = new MockGalleryClient(args.client);
    client.capabilities = () => Promise.resolve({ defaultProvider: 'mock', providers: [{ id: 'mock', models: [MOCK_TEXT_ONLY_MODEL] }] });
    return html`<generate-form style="max-width: 640px" .client=${client}></generate-form>`;
  },
  play: async ({ canvasElement }) => {
    const element = form(canvasElement);
    await ready(element);
    await userEvent.type(inside(element, 'textarea[name="prompt"]'), 'A slow one');
    const submit = inside<HTMLButtonElement>(element, 'button[type="submit"]');
    await userEvent.dblClick(submit);
    await waitFor(() => expect(submit.textContent!.trim()).toBe('Sending…'));
    await expect(submit.disabled).toBe(true);
    await expect((element.currentClient as MockGalleryClient).calls.generate).toHaveLength(1);
  },
};

export const CapabilitiesError: Story = {
  args: { client: { capabilitiesError: new GalleryError('auth_failed', 'HTTP 401') } },
  play: async ({ canvasElement }) => {
    const element = form(canvasElement);
    await waitFor(() => expect(inside(element, '[role="alert"]').textContent).toContain('rejected its credentials'));
  },
};

export const DarkTheme: Story = {
  args: { theme: 'dark' },
  decorators: [(story) => html`<div style="background:#09090b;padding:16px">${story()}</div>`],
  play: async ({ canvasElement }) => {
    const element = form(canvasElement);
    await ready(element);
    await expect(getComputedStyle(inside(element, 'form')).backgroundColor).toBe('rgb(39, 39, 42)');
  },
};
