import { GalleryError } from '@video-gallery/core/client';
import { afterEach, describe, expect, it } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import '../index.js';
import { MockGalleryClient, MOCK_FIRST_LAST_MODEL, MOCK_MODEL, type MockClientOptions } from '../stories/mock-client.js';
import { $, browserGallery, collect, deepActiveElement, shadow } from '../test-support.js';
import type { GenerateFormElement } from './generate-form.component.js';

async function mount(client: MockGalleryClient): Promise<GenerateFormElement> {
  const element = document.createElement('generate-form');
  element.client = client;
  document.body.append(element);
  await expect.poll(() => element.values).not.toBeNull();
  await element.updateComplete;
  return element;
}

const submit = () => page.getByRole('button', { name: 'Generate' });
const prompt = () => page.getByRole('textbox', { name: 'Prompt' });

function png(bytes = 64, type = 'image/png', name = 'frame.png'): File {
  return new File([new Uint8Array(bytes)], name, { type });
}

async function chooseFile(element: GenerateFormElement, file: File, field: 'image' | 'lastFrame' = 'image'): Promise<void> {
  const input = $<HTMLInputElement>(element, `input[type="file"][name="${field}"]`);
  const transfer = new DataTransfer();
  transfer.items.add(file);
  input.files = transfer.files;
  input.dispatchEvent(new Event('change', { bubbles: true }));
  await element.updateComplete;
}

afterEach(() => {
  document.body.replaceChildren();
});

describe('<generate-form> options from capabilities', () => {
  it('offers the providers, models and only the options the chosen model supports', async () => {
    await mount(new MockGalleryClient());
    await expect.element(page.getByRole('form', { name: 'Generate a video' })).toBeVisible();
    await expect.element(page.getByRole('combobox', { name: 'Provider' })).toHaveValue('mock');
    await expect.element(page.getByRole('combobox', { name: 'Model' })).toHaveValue('mock-1');
    const options = (name: string) => page.getByRole('combobox', { name }).element().querySelectorAll('option');
    expect([...options('Aspect ratio')].map((o) => o.value)).toEqual(['16:9', '9:16', '1:1']);
    expect([...options('Resolution')].map((o) => o.value)).toEqual(['480p', '720p', '1080p']);
    expect([...options('Duration')].map((o) => o.textContent!.trim())).toEqual(['4 s', '6 s', '8 s']);
    await expect.element(page.getByRole('radio', { name: 'Image' })).toBeInTheDocument();
    await userEvent.click(page.getByText('More options'));
    await expect.element(page.getByRole('textbox', { name: 'Avoid (negative prompt)' })).toBeInTheDocument();
    await expect.element(page.getByRole('spinbutton', { name: 'Seed' })).toBeInTheDocument();
    await expect.element(page.getByRole('checkbox', { name: 'With sound' })).toBeInTheDocument();

    await userEvent.selectOptions(page.getByRole('combobox', { name: 'Model' }), 'mock-lite');
    expect([...options('Duration')].map((o) => o.value)).toEqual(['5']);
    await expect.element(page.getByRole('radio', { name: 'Image' })).not.toBeInTheDocument();
    await expect.element(page.getByRole('textbox', { name: 'Avoid (negative prompt)' })).not.toBeInTheDocument();
    await expect.element(page.getByRole('spinbutton', { name: 'Seed' })).not.toBeInTheDocument();
    await expect.element(page.getByRole('checkbox', { name: 'With sound' })).not.toBeInTheDocument();

    await userEvent.selectOptions(page.getByRole('combobox', { name: 'Provider' }), 'other');
    await expect.element(page.getByRole('combobox', { name: 'Model' })).not.toBeInTheDocument();
  });

  it('shows the estimated cost for the chosen duration', async () => {
    await mount(new MockGalleryClient());
    await expect.element(page.getByText('Estimated cost: $0.40')).toBeVisible();
    await userEvent.selectOptions(page.getByRole('combobox', { name: 'Duration' }), '8');
    await expect.element(page.getByText('Estimated cost: $0.80')).toBeVisible();
  });

  it('shows an error with a retry when the models cannot be loaded', async () => {
    const client = new MockGalleryClient({ capabilitiesError: new GalleryError('auth_failed', 'HTTP 401') });
    const element = document.createElement('generate-form');
    element.client = client;
    document.body.append(element);
    await expect.element(page.getByRole('alert')).toHaveTextContent('The video service rejected its credentials.');
    client.options.capabilitiesError = undefined;
    await userEvent.click(page.getByRole('button', { name: 'Try again' }));
    await expect.element(prompt()).toBeVisible();
  });
});

describe('<generate-form> validation', () => {
  it('keeps submit disabled until the prompt is valid, and says why', async () => {
    await mount(new MockGalleryClient());
    await expect.element(submit()).toBeDisabled();
    await userEvent.fill(prompt(), 'x'.repeat(MOCK_MODEL.maxPromptLength + 1));
    await expect.element(prompt()).toHaveAttribute('aria-invalid', 'true');
    await expect.element(prompt()).toHaveAccessibleDescription(/Use at most 200 characters\./);
    await expect.element(page.getByText('201 / 200')).toBeVisible();
    await expect.element(submit()).toBeDisabled();
    await userEvent.fill(prompt(), 'A paper boat at dusk');
    await expect.element(prompt()).toHaveAttribute('aria-invalid', 'false');
    await expect.element(submit()).toBeEnabled();
  });

  it('checks rules between options, the seed range and the negative prompt length', async () => {
    await mount(new MockGalleryClient());
    await userEvent.fill(prompt(), 'A paper boat');
    await userEvent.selectOptions(page.getByRole('combobox', { name: 'Resolution' }), '1080p');
    await expect.element(page.getByText('1080p clips are 8 s long')).toBeVisible();
    await expect.element(submit()).toBeDisabled();
    await userEvent.selectOptions(page.getByRole('combobox', { name: 'Duration' }), '8');
    await expect.element(submit()).toBeEnabled();
    await userEvent.click(page.getByText('More options'));
    await userEvent.fill(page.getByRole('spinbutton', { name: 'Seed' }), '10000');
    await expect.element(page.getByText('Use a whole number from 0 to 9999.')).toBeVisible();
    await userEvent.fill(page.getByRole('spinbutton', { name: 'Seed' }), '42');
    await userEvent.fill(page.getByRole('textbox', { name: 'Avoid (negative prompt)' }), 'n'.repeat(101));
    await expect.element(page.getByText('Use at most 100 characters.')).toBeVisible();
    await expect.element(submit()).toBeDisabled();
  });

  it('checks the image type and size before anything is uploaded, and previews it', async () => {
    const client = new MockGalleryClient();
    const element = await mount(client);
    await userEvent.click(page.getByRole('radio', { name: 'Image' }));
    await userEvent.fill(prompt(), 'Make it move');
    await expect.element(submit()).toBeDisabled();
    await chooseFile(element, png(16, 'image/gif', 'a.gif'));
    await expect.element(page.getByText('Use one of these image types: image/png, image/jpeg.')).toBeVisible();
    await chooseFile(element, png(MOCK_MODEL.image!.maxBytes + 1));
    await expect.element(page.getByText('The image is too large; the limit is 1 MB.')).toBeVisible();
    expect(shadow(element).querySelector('img[part="preview"]')).toBeNull();
    const dropped = png(100);
    const transfer = new DataTransfer();
    transfer.items.add(dropped);
    $(element, '[part="dropzone"]').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    await element.updateComplete;
    expect($<HTMLImageElement>(element, 'img[part="preview"]').src).toMatch(/^blob:/);
    await expect.element(submit()).toBeEnabled();
    expect(client.calls.generate).toEqual([]);
    await userEvent.click(submit());
    await expect.poll(() => client.calls.generate.length).toBe(1);
    expect(client.calls.generate[0]!.request.image).toEqual({ data: dropped, mediaType: 'image/png' });
  });
});

describe('<generate-form> submitting', () => {
  it('sends the request with one idempotency key and reports it with events', async () => {
    const client = new MockGalleryClient({ latencyMs: 50 });
    const element = await mount(client);
    const requested = collect(element, 'vg-generate-request');
    const generated = collect(element, 'vg-generate');
    await userEvent.fill(prompt(), '  A paper boat at dusk  ');
    await userEvent.selectOptions(page.getByRole('combobox', { name: 'Aspect ratio' }), '9:16');
    await userEvent.dblClick(submit());
    await expect.element(page.getByRole('button', { name: 'Sending…' })).toBeDisabled();
    await expect.poll(() => generated.length).toBe(1);
    expect(client.calls.generate).toHaveLength(1);
    const { request, idempotencyKey } = client.calls.generate[0]!;
    expect(request).toEqual({ provider: 'mock', model: 'mock-1', prompt: 'A paper boat at dusk', aspectRatio: '9:16', resolution: '720p', durationSeconds: 4, audio: false });
    expect(idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(requested.map((event) => event.detail.request)).toEqual([request]);
    expect(generated[0]!.detail).toMatchObject({ idempotencyKey, entry: { status: 'queued' } });
    await expect.element(page.getByRole('status')).toHaveTextContent('Generation started.');
  });

  it('never starts two jobs for one submission, even when submitted twice in the same task', async () => {
    const client = new MockGalleryClient({ latencyMs: 20 });
    const element = await mount(client);
    await userEvent.fill(prompt(), 'A paper boat');
    const form = $<HTMLFormElement>(element, 'form');
    form.requestSubmit();
    form.requestSubmit();
    await Promise.all([element.submit(), element.submit()]);
    await expect.poll(() => client.entries.length).toBe(1);
    expect(client.calls.generate).toHaveLength(1);
  });

  it('does nothing when vg-generate-request is cancelled', async () => {
    const client = new MockGalleryClient();
    const element = await mount(client);
    element.addEventListener('vg-generate-request', (event) => event.preventDefault());
    await userEvent.fill(prompt(), 'A paper boat');
    await userEvent.click(submit());
    expect(client.calls.generate).toEqual([]);
  });

  it('shows a server error next to the field it names, and others above the button', async () => {
    const client = new MockGalleryClient({
      generateErrors: [
        new GalleryError('invalid_input', 'aspectRatio: "9:16" is not supported by mock-1 at 1080p.', { field: 'aspectRatio', retryable: false }),
        new GalleryError('quota_exceeded', 'Out of credit', { retryable: false }),
      ],
    });
    const element = await mount(client);
    await userEvent.fill(prompt(), 'A paper boat');
    await userEvent.click(submit());
    const ratio = page.getByRole('combobox', { name: 'Aspect ratio' });
    await expect.element(ratio).toHaveAttribute('aria-invalid', 'true');
    await expect.element(ratio).toHaveAccessibleDescription('"9:16" is not supported by mock-1 at 1080p.');
    await userEvent.selectOptions(ratio, '1:1');
    await expect.element(ratio).toHaveAttribute('aria-invalid', 'false');
    await userEvent.click(submit());
    await expect.element(page.getByRole('alert')).toHaveTextContent('The video service quota or credit is used up.');
    expect(element.errors).toEqual({});
  });

  it('reuses the key when the same request is sent again after a failure, and makes a new one for a new request', async () => {
    const client = new MockGalleryClient({ generateErrors: [new GalleryError('timeout', 'Gateway timeout')] });
    await mount(client);
    await userEvent.fill(prompt(), 'A paper boat');
    await userEvent.click(submit());
    await expect.element(page.getByRole('alert')).toHaveTextContent('It took too long and was stopped.');
    await userEvent.click(submit());
    await expect.poll(() => client.calls.generate.length).toBe(2);
    expect(client.calls.generate[1]!.idempotencyKey).toBe(client.calls.generate[0]!.idempotencyKey);
    await expect.poll(() => client.entries.length).toBe(1);
    await userEvent.click(submit());
    await expect.poll(() => client.calls.generate.length).toBe(3);
    expect(client.calls.generate[2]!.idempotencyKey).not.toBe(client.calls.generate[0]!.idempotencyKey);
  });

  it('moves focus to the first invalid field when submitted with errors', async () => {
    const element = await mount(new MockGalleryClient());
    await userEvent.fill(prompt(), 'x'.repeat(300));
    await element.submit();
    expect(deepActiveElement()).toBe($(element, 'textarea[name="prompt"]'));
  });
});

describe('<generate-form> inside <video-gallery>', () => {
  it('finds the gallery client through context and the new job shows at once', async () => {
    const { gallery } = browserGallery({ script: [{ state: 'pending', progress: 0.2 }] });
    const host = document.createElement('video-gallery');
    host.client = gallery;
    host.innerHTML = '<generate-form></generate-form>';
    document.body.append(host);
    const form = host.querySelector('generate-form')!;
    await expect.poll(() => form.currentClient).toBe(gallery);
    await expect.element(prompt()).toBeVisible();
    await userEvent.fill(prompt(), 'A lighthouse in a storm');
    await userEvent.click(submit());
    await expect.poll(() => host.controller.items.map((e) => e.request.prompt)).toEqual(['A lighthouse in a storm']);
    await expect.element(page.getByRole('gridcell')).toHaveTextContent('A lighthouse in a storm');
    await gallery.close();
  });

  it('shows a new RemoteGallery-style job at once even before the live stream reports it', async () => {
    const client = new MockGalleryClient();
    client.emit = () => undefined;
    const host = document.createElement('video-gallery');
    host.client = client;
    host.innerHTML = '<generate-form></generate-form>';
    document.body.append(host);
    await expect.element(prompt()).toBeVisible();
    await userEvent.fill(prompt(), 'Quiet stream');
    await userEvent.click(submit());
    await expect.poll(() => host.controller.items.map((e) => e.request.prompt)).toEqual(['Quiet stream']);
  });
});

describe('<generate-form> first + last frame', () => {
  /** A client whose default model takes a first and a last frame; `mock-1` does not. */
  const framesClient = (options: MockClientOptions = {}) =>
    new MockGalleryClient({ capabilities: { defaultProvider: 'mock', providers: [{ id: 'mock', models: [MOCK_FIRST_LAST_MODEL, MOCK_MODEL] }] }, ...options });
  const firstLast = () => page.getByRole('radio', { name: 'First + last frame' });
  const errorOf = (element: GenerateFormElement, field: string) => $(element, `#${field}-error`);

  async function framesMode(options?: MockClientOptions): Promise<{ client: MockGalleryClient; element: GenerateFormElement }> {
    const client = framesClient(options);
    const element = await mount(client);
    await userEvent.click(firstLast());
    await userEvent.fill(prompt(), 'From dawn to dusk');
    return { client, element };
  }

  it('offers the mode only for a model that takes it, with two image fields', async () => {
    const element = await mount(framesClient());
    await expect.element(firstLast()).toBeInTheDocument();
    await userEvent.selectOptions(page.getByRole('combobox', { name: 'Model' }), 'mock-1');
    await expect.element(page.getByRole('radio', { name: 'Image' })).toBeInTheDocument();
    await expect.element(firstLast()).not.toBeInTheDocument();
    await userEvent.selectOptions(page.getByRole('combobox', { name: 'Model' }), 'mock-frames');
    await userEvent.click(firstLast());
    expect(shadow(element).querySelectorAll('[part="dropzone"]')).toHaveLength(2);
    await expect.element(page.getByText('First frame', { exact: true })).toBeVisible();
    await expect.element(page.getByText('Last frame', { exact: true })).toBeVisible();
    // A model without the mode falls back to text, keeping the images.
    await chooseFile(element, png(), 'lastFrame');
    await userEvent.selectOptions(page.getByRole('combobox', { name: 'Model' }), 'mock-1');
    expect(element.values).toMatchObject({ mode: 'text', lastFrame: expect.any(File) });
    expect(shadow(element).querySelectorAll('[part="dropzone"]')).toHaveLength(0);
  });

  it('keeps submit disabled until both frames are given, and says which is missing', async () => {
    const { client, element } = await framesMode();
    await expect.element(submit()).toBeDisabled();
    await element.submit();
    expect(errorOf(element, 'image').textContent).toBe('Add an image to animate.');
    expect(errorOf(element, 'lastFrame').textContent).toBe('Add the last frame.');
    await chooseFile(element, png());
    expect(errorOf(element, 'image').hidden).toBe(true);
    expect(errorOf(element, 'lastFrame').textContent).toBe('Add the last frame.');
    await expect.element(submit()).toBeDisabled();
    await chooseFile(element, png(80, 'image/jpeg', 'last.jpg'), 'lastFrame');
    expect(errorOf(element, 'lastFrame').hidden).toBe(true);
    await expect.element(submit()).toBeEnabled();
    expect(client.calls.generate).toEqual([]);
  });

  it('checks the last frame type and size before anything is uploaded', async () => {
    const { client, element } = await framesMode();
    await chooseFile(element, png());
    await chooseFile(element, png(16, 'image/gif', 'last.gif'), 'lastFrame');
    expect(errorOf(element, 'lastFrame').textContent).toBe('Use one of these image types: image/png, image/jpeg.');
    expect($(element, 'input[name="lastFrame"]').getAttribute('aria-invalid')).toBe('true');
    expect($(element, 'input[name="image"]').getAttribute('aria-invalid')).toBe('false');
    expect(shadow(element).querySelectorAll('img[part="preview"]')).toHaveLength(1);
    await chooseFile(element, png(MOCK_MODEL.image!.maxBytes + 1), 'lastFrame');
    expect(errorOf(element, 'lastFrame').textContent).toBe('The image is too large; the limit is 1 MB.');
    await expect.element(submit()).toBeDisabled();
    await element.submit();
    expect(client.calls.generate).toEqual([]);
  });

  it('sends both frames, and a changed last frame is a new submission', async () => {
    const { client, element } = await framesMode({ generateErrors: [new GalleryError('timeout', 'Gateway timeout'), new GalleryError('timeout', 'Gateway timeout')] });
    const first = png(100, 'image/png', 'first.png');
    const last = png(120, 'image/png', 'last.png');
    await chooseFile(element, first);
    const transfer = new DataTransfer();
    transfer.items.add(last);
    $(element, '[part="dropzone"][data-field="lastFrame"]').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    await element.updateComplete;
    const previews = () => [...shadow(element).querySelectorAll<HTMLImageElement>('img[part="preview"]')].map((img) => img.src);
    expect(previews()).toHaveLength(2);
    const lastUrl = previews()[1]!;
    expect(lastUrl).toMatch(/^blob:/);
    await userEvent.click(submit());
    await expect.poll(() => client.calls.generate.length).toBe(1);
    expect(client.calls.generate[0]!.request).toMatchObject({
      image: { data: first, mediaType: 'image/png' }, lastFrame: { data: last, mediaType: 'image/png' },
    });
    await expect.element(page.getByRole('alert')).toHaveTextContent('It took too long and was stopped.');
    await userEvent.click(submit());
    await expect.poll(() => client.calls.generate.length).toBe(2);
    expect(client.calls.generate[1]!.idempotencyKey).toBe(client.calls.generate[0]!.idempotencyKey);
    const otherLast = png(130, 'image/png', 'other-last.png');
    await chooseFile(element, otherLast, 'lastFrame');
    // The replaced preview's object URL is released.
    await expect(fetch(lastUrl)).rejects.toThrow();
    await userEvent.click(submit());
    await expect.poll(() => client.calls.generate.length).toBe(3);
    expect(client.calls.generate[2]!.idempotencyKey).not.toBe(client.calls.generate[0]!.idempotencyKey);
    expect(client.calls.generate[2]!.request.lastFrame).toEqual({ data: otherLast, mediaType: 'image/png' });
    await expect.poll(() => client.entries.length).toBe(1);
  });

  it('shows a server error about the last frame next to the last frame', async () => {
    const { element } = await framesMode({
      generateErrors: [new GalleryError('invalid_input', 'lastFrame: must be the same size as the first frame.', { field: 'lastFrame', retryable: false })],
    });
    await chooseFile(element, png());
    await chooseFile(element, png(90), 'lastFrame');
    await userEvent.click(submit());
    await expect.poll(() => errorOf(element, 'lastFrame').textContent).toBe('must be the same size as the first frame.');
    expect($(element, 'input[name="lastFrame"]').getAttribute('aria-invalid')).toBe('true');
    expect(errorOf(element, 'image').hidden).toBe(true);
    expect(shadow(element).querySelector('[part="form-error"]')).toBeNull();
  });
});
