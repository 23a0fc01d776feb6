import { ContextConsumer } from '@lit/context';
import type { ModelCapabilities } from '@video-gallery/core';
import { GalleryError, type RemoteGallery } from '@video-gallery/core/client';
import { html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { GalleryCapabilities, GalleryClient } from '../shared/client.js';
import { galleryClientContext } from '../shared/context.js';
import { emit, emitError } from '../shared/events.js';
import { costText, errorText } from '../shared/format.js';
import { live } from '../shared/live.js';
import { localeOf, options, remoteFor } from '../shared/util.js';
import { defaultFormStrings, mergeStrings, type FormStrings, type StringsOverride } from '../shared/strings.js';
import { fitValues, imageProblem, modelsOf, toRequest, validateValues, type FieldErrors, type FormField, type FormValues } from './form-model.js';
import { formStyles } from './generate-form.styles.js';

const FIELDS = new Set<string>(['provider', 'model', 'prompt', 'negativePrompt', 'aspectRatio', 'resolution', 'durationSeconds', 'seed', 'audio', 'image', 'lastFrame']);

type ImageField = 'image' | 'lastFrame';

function newKey(): string {
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * A form that starts a video generation: text-to-video, image-to-video or first + last frame, with the provider, model and only
 * the options the chosen model supports (from `capabilities()`), inline validation, the estimated cost, and
 * server errors shown next to the field they name. Inside a `<video-gallery>` it uses the gallery's client.
 *
 * Each submission carries one idempotency key: a double click never starts two jobs, and sending the same
 * request again after a failure reuses the key, so a job the server did accept is not started twice.
 *
 * @tagname generate-form
 * @summary Starts video generations.
 *
 * @event vg-generate-request - Before sending (cancelable; `detail.request` may be changed).
 * @event vg-generate - The job was accepted; `detail.entry` is the new `queued` entry.
 * @event vg-error - Loading the models or sending failed.
 *
 * @csspart form - The form element.
 * @csspart field - Each field wrapper.
 * @csspart label - Each field label.
 * @csspart prompt - The prompt textarea.
 * @csspart counter - The prompt character counter.
 * @csspart modes - The text / image / first + last frame switch.
 * @csspart dropzone - Each image drop area.
 * @csspart preview - Each image preview.
 * @csspart options - The row of aspect ratio, resolution and duration.
 * @csspart more - The "More options" disclosure.
 * @csspart field-error - A message under a field.
 * @csspart cost - The estimated cost.
 * @csspart submit - The submit button.
 * @csspart form-error - An error not tied to a field.
 *
 * @cssproperty --vg-color-background - Background of fields.
 * @cssproperty --vg-color-surface - Background of the form.
 * @cssproperty --vg-color-text - Text color.
 * @cssproperty --vg-color-muted - Hints and counters.
 * @cssproperty --vg-color-border - Borders.
 * @cssproperty --vg-color-accent - Focus and the submit button.
 * @cssproperty --vg-color-on-accent - Text on the submit button.
 * @cssproperty --vg-color-danger - Errors.
 * @cssproperty --vg-radius - Corner radius.
 * @cssproperty --vg-font-family - Font.
 * @cssproperty --vg-font-size - Base font size.
 * @cssproperty --vg-transition-duration - Transitions of the buttons (0s when reduced motion is asked for).
 */
export class GenerateFormElement extends LitElement {
  static override styles = formStyles;

  static override properties = {
    src: {},
    client: { attribute: false },
    provider: {},
    model: {},
    theme: { reflect: true },
    strings: { attribute: false },
  };

  /** URL of the gallery HTTP API, e.g. `/api/gallery`. Ignored when `client` is set; both unset inside a `<video-gallery>`: its client. */
  declare src: string | undefined;
  /** The gallery client (a `VideoGallery`, a `RemoteGallery`, or any `GalleryClient`). */
  declare client: GalleryClient | undefined;
  /** Provider chosen at first. Default: the gallery's default provider. */
  declare provider: string | undefined;
  /** Model chosen at first. Default: the provider's first model. */
  declare model: string | undefined;
  /** `light` or `dark`; empty to follow `prefers-color-scheme`. */
  declare theme: string;
  /** Replacement texts (i18n); any subset of `FormStrings`. */
  declare strings: StringsOverride<FormStrings> | undefined;

  readonly #context = new ContextConsumer(this, { context: galleryClientContext, subscribe: true, callback: () => this.#syncClient() });
  #remote: RemoteGallery | null = null;
  #client: GalleryClient | null = null;
  #capabilities: GalleryCapabilities | null = null;
  #capabilitiesError: unknown = null;
  #values: FormValues | null = null;
  #touched = new Set<FormField>();
  #serverErrors: FieldErrors = {};
  #formError: unknown = null;
  #submitting = false;
  #key: string | null = null;
  #keyFor = '';
  /** Preview object URLs by image field. */
  #urls: Partial<Record<ImageField, string>> = {};
  #announcement = '';
  #dragging: ImageField | null = null;
  #moreOpen = false;
  #s: FormStrings = defaultFormStrings;

  constructor() {
    super();
    this.theme = '';
  }

  /** The client in use (own, `src`'s, or the enclosing gallery's). */
  get currentClient(): GalleryClient | null {
    return this.#client;
  }

  /** What the form holds now (`null` until the models are known). */
  get values(): Readonly<FormValues> | null {
    return this.#values;
  }

  /** Errors of the current values (shown once a field was touched or a submission tried). */
  get errors(): FieldErrors {
    const model = this.#currentModel;
    return model && this.#values ? validateValues(model, this.#values, this.#s) : {};
  }

  /** Sets some values (a prompt from elsewhere, a preset); they are fitted to the chosen model. */
  setValues(values: Partial<FormValues>): void {
    if (!this.#values) return;
    this.#change(values);
  }

  /** Submits as the button does. Resolves when the server answered (or nothing was sent). */
  submit(): Promise<void> {
    return this.#submit();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#syncClient();
    // Upgraded before an enclosing <video-gallery> was defined: ask for its client again once it is.
    if (!this.#client && this.closest('video-gallery') && !customElements.get('video-gallery')) {
      void customElements.whenDefined('video-gallery').then(() => {
        if (!this.isConnected || this.#context.value) return;
        this.#context.hostDisconnected();
        this.#context.hostConnected();
      });
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#setImageUrl('image', null);
    this.#setImageUrl('lastFrame', null);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('src') || changed.has('client')) this.#syncClient();
    if (changed.has('strings')) this.#s = mergeStrings(defaultFormStrings, this.strings);
    if ((changed.has('provider') || changed.has('model')) && this.#capabilities && this.#values) this.#choose(this.provider, this.model);
  }

  protected override render(): TemplateResult {
    const s = this.#s;
    if (!this.#client) return html`<p class="muted">${s.noClient}</p>`;
    if (this.#capabilitiesError) {
      return html`<div role="alert" class="state"><p>${s.capabilitiesFailed} ${errorText(this.#capabilitiesError, s.errors)}</p>
        <button @click=${() => this.#loadCapabilities()}>${s.tryAgain}</button></div>`;
    }
    const values = this.#values;
    const model = this.#currentModel;
    if (!values || !model) return html`<p role="status" class="muted">${s.loading}</p>`;
    const errors = validateValues(model, values, s);
    const invalid = Object.keys(errors).length > 0;
    const providers = this.#capabilities!.providers;
    const models = modelsOf(this.#capabilities, values.provider);
    const modes = model.modes;
    const firstLast = values.mode === 'first-last-frame';
    const cost = costText(model, values.durationSeconds, localeOf(this));
    const promptLength = values.prompt.trim().length;
    const more = model.negativePrompt || model.seed || model.audio === 'optional';
    return html`<form part="form" class="form" novalidate aria-label=${s.form} aria-busy=${this.#submitting}
        @submit=${this.#onSubmit} @input=${this.#onInput} @change=${this.#onInput}>
      ${providers.length > 1 || models.length > 1 ? html`<div class="row">
        ${providers.length > 1 ? this.#select('provider', s.provider, providers.map((p) => [p.id, p.id]), values.provider, errors) : nothing}
        ${models.length > 1 ? this.#select('model', s.model, models.map((m) => [m.id, m.label]), values.model, errors) : nothing}
      </div>` : nothing}
      ${modes.length > 1 ? html`<fieldset part="modes" class="modes"><legend class="sr">${s.mode}</legend>
        ${modes.map((mode) => html`<label><input type="radio" name="mode" value=${mode} .checked=${live(values.mode === mode)}>
          <span>${mode === 'text' ? s.modeText : mode === 'image' ? s.modeImage : s.modeFirstLast}</span></label>`)}
      </fieldset>` : nothing}
      ${values.mode !== 'text' ? this.#imageField('image', firstLast ? s.firstFrame : s.image, model, errors) : nothing}
      ${firstLast ? this.#imageField('lastFrame', s.lastFrame, model, errors) : nothing}
      <div part="field" class="field">
        <label part="label" for="prompt">${s.prompt}</label>
        <textarea part="prompt" id="prompt" name="prompt" rows="3" required placeholder=${s.promptPlaceholder} .value=${live(values.prompt)}
          aria-invalid=${!!this.#error('prompt', errors)} aria-describedby="prompt-counter prompt-error"></textarea>
        <div class="hint"><span part="counter" id="prompt-counter" class=${promptLength > model.maxPromptLength ? 'err' : 'muted'}>
          ${s.promptCount(promptLength, model.maxPromptLength)}</span></div>
        ${this.#errorText('prompt', errors)}
      </div>
      <div part="options" class="row">
        ${this.#select('aspectRatio', s.aspectRatio, model.aspectRatios.map((v) => [v, v]), values.aspectRatio, errors)}
        ${this.#select('resolution', s.resolution, model.resolutions.map((v) => [v, v]), values.resolution, errors)}
        ${this.#select('durationSeconds', s.duration, model.durations.map((v) => [String(v), s.seconds(v)]), String(values.durationSeconds), errors)}
      </div>
      ${more ? html`<details part="more" class="more" ?open=${this.#moreOpen || Boolean(this.#error('negativePrompt', errors) || this.#error('seed', errors))}
          @toggle=${(e: Event) => (this.#moreOpen = (e.target as HTMLDetailsElement).open)}>
        <summary>${s.moreOptions}</summary>
        ${model.negativePrompt ? html`<div part="field" class="field">
          <label part="label" for="negativePrompt">${s.negativePrompt}</label>
          <textarea id="negativePrompt" name="negativePrompt" rows="2" .value=${live(values.negativePrompt)}
            aria-invalid=${!!this.#error('negativePrompt', errors)} aria-describedby="negativePrompt-error"></textarea>
          ${this.#errorText('negativePrompt', errors)}
        </div>` : nothing}
        <div class="row">
          ${model.seed ? html`<div part="field" class="field">
            <label part="label" for="seed">${s.seed}</label>
            <input id="seed" name="seed" type="number" inputmode="numeric" step="1" min=${model.seed.min} max=${model.seed.max}
              placeholder=${s.seedPlaceholder} .value=${live(values.seed)} aria-invalid=${!!this.#error('seed', errors)} aria-describedby="seed-error">
            ${this.#errorText('seed', errors)}
          </div>` : nothing}
          ${model.audio === 'optional' ? html`<label class="check"><input type="checkbox" name="audio" .checked=${live(values.audio)}>${s.audio}</label>` : nothing}
        </div>
      </details>` : nothing}
      <div class="footer">
        <span part="cost" class="muted">${cost ? s.cost(cost) : ''}</span>
        <button part="submit" class="primary" type="submit" ?disabled=${invalid || this.#submitting}>${this.#submitting ? s.submitting : s.submit}</button>
      </div>
      ${this.#formError ? html`<p part="form-error" class="err" role="alert">${this.#formErrorText()}</p>` : nothing}
      <div class="sr" role="status">${this.#announcement}</div>
    </form>`;
  }

  #select(name: FormField, label: string, list: [string, string][], value: string, errors: FieldErrors): TemplateResult {
    const error = this.#error(name, errors);
    return html`<div part="field" class="field">
      <label part="label" for=${name}>${label}</label>
      <select id=${name} name=${name} aria-invalid=${!!error} aria-describedby="${name}-error">
        ${options(list, value)}
      </select>
      ${this.#errorText(name, errors)}
    </div>`;
  }

  #imageField(field: ImageField, label: string, model: ModelCapabilities, errors: FieldErrors): TemplateResult {
    const s = this.#s;
    const accept = (model.image?.mediaTypes ?? ['image/*']).join(',');
    const url = this.#urls[field];
    return html`<div part="field" class="field">
      <span part="label" id="${field}-label">${label}</span>
      <div part="dropzone" class="dropzone ${this.#dragging === field ? 'dragging' : ''}" data-field=${field}
        @dragover=${this.#onDrag} @dragleave=${this.#onDrag} @drop=${this.#onDrag}>
        ${url ? html`<img part="preview" class="preview" src=${url} alt="">
          <button type="button" aria-describedby="${field}-label" @click=${() => this.#setImage(field, null)}>${s.removeImage}</button>`
          : html`<span>${s.dropImage}</span>`}
        <label class="btn">${s.chooseImage}<input class="sr" type="file" name=${field} accept=${accept} aria-labelledby="${field}-label"
          aria-invalid=${!!this.#error(field, errors)} aria-describedby="${field}-error"></label>
      </div>
      ${this.#errorText(field, errors)}
    </div>`;
  }

  /** A field's message: the server's, or the check's. "Nothing entered yet" waits until the field was touched. */
  #error(field: FormField, errors: FieldErrors): string | undefined {
    const values = this.#values;
    const empty = (field === 'prompt' && !values?.prompt.trim()) || ((field === 'image' || field === 'lastFrame') && !values?.[field]);
    return this.#serverErrors[field] ?? (this.#touched.has(field) || !empty ? errors[field] : undefined);
  }

  #errorText(field: FormField, errors: FieldErrors): TemplateResult {
    const error = this.#error(field, errors);
    return html`<p part="field-error" class="err" id="${field}-error" ?hidden=${!error}>${error ?? ''}</p>`;
  }

  #formErrorText(): string {
    const error = this.#formError;
    const plain = errorText(error, this.#s.errors);
    // Say what the server said when it adds something to the plain words (for example an invalid option).
    return GalleryError.isInstance(error) && error.code === 'invalid_input' ? `${plain} ${error.message}` : plain;
  }

  get #currentModel(): ModelCapabilities | undefined {
    const values = this.#values;
    return values ? modelsOf(this.#capabilities, values.provider).find((m) => m.id === values.model) : undefined;
  }

  // ---------------------------------------------------------------- input

  #onInput = (event: Event): void => {
    const target = event.target as HTMLInputElement;
    const name = target.name;
    if (name === 'image' || name === 'lastFrame') {
      if (event.type === 'change') this.#setImage(name, target.files?.[0] ?? null);
      return;
    }
    if (name === 'mode') return this.#change({ mode: target.value as FormValues['mode'] });
    if (name === 'provider') return this.#choose(target.value, undefined);
    if (name === 'model') return this.#choose(this.#values?.provider, target.value);
    if (!FIELDS.has(name)) return;
    const field = name as FormField;
    const value = field === 'durationSeconds' ? Number(target.value) : field === 'audio' ? target.checked : target.value;
    this.#touched.add(field);
    this.#change({ [field]: value });
  };

  #change(patch: Partial<FormValues>): void {
    if (!this.#values) return;
    this.#values = { ...this.#values, ...patch };
    for (const key of Object.keys(patch)) delete this.#serverErrors[key as FormField];
    this.#formError = null;
    this.requestUpdate();
  }

  #choose(provider: string | undefined, model: string | undefined): void {
    const capabilities = this.#capabilities;
    if (!capabilities) return;
    const providerId = capabilities.providers.some((p) => p.id === provider) ? provider! : capabilities.defaultProvider;
    const models = modelsOf(capabilities, providerId);
    const chosen = models.find((m) => m.id === model) ?? models[0];
    if (!chosen) return;
    this.#values = fitValues(chosen, providerId, this.#values ?? {});
    this.#serverErrors = {};
    this.#formError = null;
    this.requestUpdate();
  }

  #setImage(field: ImageField, file: Blob | null): void {
    const model = this.#currentModel;
    this.#touched.add(field);
    // A rejected file is kept so the message says what is wrong with it, but gets no preview.
    this.#setImageUrl(field, file && model && !imageProblem(file, model, this.#s) ? URL.createObjectURL(file) : null);
    this.#change({ [field]: file });
  }

  #setImageUrl(field: ImageField, url: string | null): void {
    const old = this.#urls[field];
    if (old) URL.revokeObjectURL(old);
    this.#urls[field] = url ?? undefined;
  }

  /** dragover, dragleave and drop on a drop zone; its `data-field` names the image field. */
  #onDrag = (event: DragEvent): void => {
    const field = (event.currentTarget as HTMLElement).dataset.field as ImageField;
    const type = event.type;
    if (type !== 'dragleave') event.preventDefault();
    if (type === 'dragover') {
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
      if (this.#dragging === field) return;
    }
    this.#dragging = type === 'dragover' ? field : null;
    const file = type === 'drop' ? event.dataTransfer?.files?.[0] : undefined;
    if (file) this.#setImage(field, file);
    else this.requestUpdate();
  };

  // ---------------------------------------------------------------- submit

  #onSubmit = (event: SubmitEvent): void => {
    event.preventDefault();
    void this.#submit();
  };

  async #submit(): Promise<void> {
    // Checked and set before anything asynchronous: a second click while this one is in flight does nothing.
    if (this.#submitting) return;
    const client = this.#client;
    const model = this.#currentModel;
    const values = this.#values;
    if (!client || !model || !values) return;
    const errors = validateValues(model, values, this.#s);
    const invalid = Object.keys(errors) as FormField[];
    if (invalid.length > 0) {
      for (const field of invalid) this.#touched.add(field);
      this.requestUpdate();
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>(`[name="${invalid[0]}"]`)?.focus();
      return;
    }
    const request = toRequest(model, values);
    if (!emit(this, 'vg-generate-request', { request }, true)) return;
    // One key per submission: the same request sent again (after an error) keeps it; any change makes a new one.
    // Images (first and last frame) count by size, type, name and date.
    const signature = JSON.stringify(request, (_, v: unknown) => v instanceof Blob ? [v.size, v.type, (v as File).name, (v as File).lastModified] : v);
    if (signature !== this.#keyFor || !this.#key) {
      this.#key = newKey();
      this.#keyFor = signature;
    }
    const idempotencyKey = this.#key;
    this.#submitting = true;
    this.#serverErrors = {};
    this.#formError = null;
    this.#announcement = '';
    this.requestUpdate();
    try {
      const entry = await client.generate(request, { idempotencyKey });
      this.#key = null;
      this.#keyFor = '';
      this.#announcement = this.#s.started;
      emit(this, 'vg-generate', { entry, request, idempotencyKey });
    } catch (error) {
      const field = GalleryError.isInstance(error) ? error.field : undefined;
      if (field && FIELDS.has(field) && this.#fieldShown(field as FormField)) {
        const message = (error as GalleryError).message;
        this.#serverErrors = { [field]: message.startsWith(`${field}: `) ? message.slice(field!.length + 2) : message };
      } else this.#formError = error;
      emitError(this, error, 'generate');
    } finally {
      this.#submitting = false;
      this.requestUpdate();
    }
  }

  /** Whether a field is on screen, so an error can be shown next to it. */
  #fieldShown(field: FormField): boolean {
    const model = this.#currentModel;
    const values = this.#values;
    if (!model || !values) return false;
    switch (field) {
      case 'provider': return (this.#capabilities?.providers.length ?? 0) > 1;
      case 'model': return modelsOf(this.#capabilities, values.provider).length > 1;
      case 'negativePrompt': return Boolean(model.negativePrompt);
      case 'seed': return Boolean(model.seed);
      case 'audio': return false;
      case 'image': return values.mode !== 'text';
      case 'lastFrame': return values.mode === 'first-last-frame';
      default: return true;
    }
  }

  // ---------------------------------------------------------------- client

  #syncClient(): void {
    let client: GalleryClient | null = this.client ?? null;
    if (!client && this.src) client = this.#remote = remoteFor(this.src, this.#remote);
    client ??= this.#context.value ?? null;
    if (client === this.#client) return;
    this.#client = client;
    this.#capabilities = null;
    this.#capabilitiesError = null;
    this.requestUpdate();
    void this.#loadCapabilities();
  }

  async #loadCapabilities(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#capabilitiesError = null;
    this.requestUpdate();
    try {
      const capabilities = await client.capabilities();
      if (client !== this.#client) return;
      this.#capabilities = capabilities;
      const keep = this.#values && modelsOf(capabilities, this.#values.provider).some((m) => m.id === this.#values!.model);
      if (keep) this.#choose(this.#values!.provider, this.#values!.model);
      else this.#choose(this.provider, this.model);
    } catch (error) {
      if (client !== this.#client) return;
      this.#capabilitiesError = error;
      emitError(this, error, 'capabilities');
      this.requestUpdate();
    }
  }
}
