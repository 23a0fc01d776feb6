// @video-gallery/elements: registers <video-gallery> and <generate-form> and exports their classes and helpers.
// <video-gallery> is defined first, so a <generate-form> inside one finds its client when both upgrade.
// The define calls live here (not in an import of ./video-gallery.js) so they stay in this entry file when bundled.
import { GenerateFormElement } from './generate-form/generate-form.component.js';
import { defineElement } from './shared/define.js';
import { VideoGalleryElement } from './video-gallery/video-gallery.component.js';

defineElement('video-gallery', VideoGalleryElement);
defineElement('generate-form', GenerateFormElement);

declare global {
  interface HTMLElementTagNameMap {
    'video-gallery': VideoGalleryElement;
    'generate-form': GenerateFormElement;
  }
}

export { VideoGalleryElement, GenerateFormElement };
export { parseStatusFilter } from './video-gallery/video-gallery.component.js';
export { GalleryController } from './shared/gallery-controller.js';
export type { GalleryControllerOptions, GalleryLoadState, GalleryQuery } from './shared/gallery-controller.js';
export { galleryClientContext } from './shared/context.js';
export { defineElement } from './shared/define.js';
export { MediaUrls } from './shared/client.js';
export type {
  GalleryCapabilities, GalleryClient, GalleryItem, GalleryItemChange, GalleryListQuery, GalleryPage, MediaKind, ResolveUrl,
} from './shared/client.js';
export type { VgErrorDetail, VgEvent, VgEventDetails, VgEventName } from './shared/events.js';
export { defaultErrorStrings, defaultFormStrings, defaultGalleryStrings } from './shared/strings.js';
export type { ErrorStrings, FormStrings, GalleryStrings, StringsOverride } from './shared/strings.js';
export { fitValues, imageProblem, toRequest, validateValues } from './generate-form/form-model.js';
export type { FieldErrors, FormField, FormValues } from './generate-form/form-model.js';
